// biome-ignore-all assist/source/organizeImports: grouped by what a test does, not by path
// The kit's surface: what a test calls, and the types it annotates with. Nothing else is exported.

// Connect, or look at the handshake's answer.
export { connect, handshake } from './handshake.js';
export { createTestClient, type TestClient } from './client.js';
export type { HandshakeOptions } from './options.js';
export type { HandshakeResult } from './response.js';
export type { TestSocket } from './socket.js';

// Expect an accepted or a refused handshake.
export { expectHandshake, type HandshakeExpectation } from './expect.js';

// Messages on an open socket.
export { collectMessages, nextMessage, sendJson, whenClosed } from './messages.js';

// HTTP before the handshake (a login), whose cookies a TestClient keeps.
export { type HttpResponse, httpRequest } from './http.js';

// Bytes a well-behaved client never sends.
export { openConnection } from './raw.js';

// Clean-up.
export { closeAll } from './cleanup.js';

// What the kit tests: an Express app, { app, ws } for Koa or Hono, a Fastify instance, a node:http Server.
export type { TestTarget } from './target.js';
