// The example chat's test steps, shared by every example's tests: a browser on the chat page, and logging
// in through the app's own POST /login. Port-free (@wsgate/testing): the app is reached in memory.
import { createTestClient } from '@wsgate/testing';

/** The address the example would listen on: `exampleHosts` checks Host against the connection's local port. */
const connection = { localAddress: '127.0.0.1', localPort: 3000, remoteAddress: '127.0.0.1' };

/**
 * A browser on the example's page: Host 127.0.0.1:3000 and the same Origin, offering chat.v2 then chat.v1,
 * over a connection that arrived on 127.0.0.1:3000. `defaults` overrides any of it.
 */
export function browser(target, defaults = {}) {
  return createTestClient(target, {
    host: '127.0.0.1:3000',
    connection,
    protocols: ['chat.v2', 'chat.v1'],
    ...defaults,
  });
}

/** A browser logged in as `name` through POST /login (303 to /); the session cookie is in its jar. */
export async function loggedIn(target, name, defaults) {
  const client = browser(target, defaults);
  const response = await client.httpRequest('POST', '/login', { form: { name } });
  if (response.status !== 303 || response.headers.location !== '/') {
    throw new Error(`login as ${JSON.stringify(name)}: ${response.status} ${response.body}`);
  }
  return client;
}
