// The example chat's test steps, shared by every example's tests: a browser on the chat page, and logging
// in through the app's own POST /login. Port-free (@wsgate/testing): the app is reached in memory.
import { once } from 'node:events';
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

/**
 * The logout scenario every example answers alike: ada has two tabs on one session and a second session, bob
 * one; ada logs the first session out. Returns the logout's status, how that session's two tabs closed
 * (`[code, reason]`), the readyState of ada's other session and of bob, and a handshake with the old cookie.
 */
export async function logOutOneSession(target) {
  const ada = await loggedIn(target, 'ada');
  const tabs = [await ada.connect('/chat'), await ada.connect('/chat')];
  const otherSession = await (await loggedIn(target, 'ada')).connect('/chat');
  const bob = await (await loggedIn(target, 'bob')).connect('/chat');
  const cookies = ada.cookies.toJSON();
  const closes = tabs.map((tab) => once(tab, 'close').then(([code, reason]) => [code, String(reason)]));
  const logout = (await ada.httpRequest('POST', '/logout')).status;
  return {
    logout,
    closes: await Promise.all(closes),
    stillOpen: [otherSession.readyState, bob.readyState],
    replay: browser(target, { cookies }).expectHandshake('/chat'),
  };
}

/**
 * ada logs in twice in one browser. Returns whether the second login gave a new session id (no fixation), and
 * handshakes with the first session's cookies and with the current ones.
 */
export async function logInTwice(target) {
  const ada = await loggedIn(target, 'ada');
  const first = ada.cookies.toJSON();
  await ada.httpRequest('POST', '/login', { form: { name: 'ada' } });
  return {
    newId: ada.cookies.toJSON().sid !== first.sid,
    withFirstCookies: browser(target, { cookies: first }).expectHandshake('/chat'),
    withCurrentCookies: ada.expectHandshake('/chat'),
  };
}
