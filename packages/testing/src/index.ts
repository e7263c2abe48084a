export { closeAll, openCount } from './cleanup.js';
export { createTestClient, TestClient } from './client.js';
export { CookieJar, type Cookies, cookieHeader, cookiesSetBy } from './cookies.js';
export { ClientFailedError, HandshakeAssertionError, HandshakeRefusedError, WaitTimeoutError } from './errors.js';
export {
  expectHandshake,
  HandshakeExpectation,
  type HeaderExpectations,
  type OpenExpectation,
  type RefusalExpectation,
} from './expect.js';
export { connect, type HandshakeResult, handshake, type ResponseOptions } from './handshake.js';
export { type HttpRequestOptions, type HttpResponse, httpRequest } from './http.js';
export {
  type CloseEvent,
  collectMessages,
  nextMessage,
  sendJson,
  type WaitOptions,
  whenClosed,
} from './messages.js';
export type { HandshakeOptions, HeaderValues, RequestSummary } from './options.js';
export { openConnection } from './raw.js';
export { CODE_HEADER, type HandshakeResponse } from './response.js';
export { closeSocket, type TestSocket } from './socket.js';
export type { ExpressTarget, FastifyTarget, HonoTarget, KoaTarget, TestTarget } from './target.js';
export { type ConnectionAddresses, type ConnectionOptions, socketPair, type Transport } from './transport.js';
