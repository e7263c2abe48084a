// The example chat on Express: a cookie-parser signed session cookie, and an ordinary auth
// middleware that guards the WebSocket route exactly as it would guard an HTTP route — its 401 is the answer.
import { wsgate } from '@wsgate/express';
import { chatPage, createRoom, exampleHosts, logHandshake, loginPage, sessionSecret, transportOf } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import cookieParser from 'cookie-parser';
import express, { type NextFunction, type Request, type Response } from 'express';

export function createChat({ host = '127.0.0.1', secret = sessionSecret() } = {}) {
  const room = createRoom();
  const gateLog = createGateLog(); // the demo page's live log of every handshake decision
  const app = wsgate(express(), {
    hosts: exampleHosts(host),
    onEvent: (event) => {
      logHandshake(event);
      gateLog.record(event);
    },
  });
  app.use(cookieParser(secret));
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));

  /** The session: `sid` is the user's name, signed with the secret (cookie-parser's format). */
  const userOf = (req: Request): string | undefined => {
    const sid: unknown = req.signedCookies.sid;
    return typeof sid === 'string' && sid !== '' ? sid : undefined;
  };

  function requireLogin(req: Request, res: Response, next: NextFunction) {
    const user = userOf(req);
    if (user === undefined) return void res.status(401).json({ error: 'login required' });
    res.locals.user = user;
    next();
  }

  app.get('/health', (_req, res) => void res.type('text').send('ok'));
  app.get('/gate-log', (req, res) => gateLog.stream(req, res));
  app.get('/probe', (_req, res) => void res.type('html').send(probePage()));
  app.get('/metrics', serveMetrics);

  app.get('/', (req, res) => {
    const user = userOf(req);
    res.type('html').send(user === undefined ? loginPage() : chatPage(user));
  });

  app.post('/login', (req, res) => {
    const name = String(req.body?.name ?? '')
      .trim()
      .slice(0, 32);
    if (name === '') return void res.status(400).type('text').send('name required');
    res.cookie('sid', name, { signed: true, httpOnly: true, sameSite: 'lax', path: '/' });
    res.redirect(303, '/');
  });

  app.post('/logout', (_req, res) => {
    res.clearCookie('sid', { httpOnly: true, sameSite: 'lax', path: '/' });
    res.redirect(303, '/');
  });

  // Host and protocol checks ran before the app saw the request; when the route matches, Origin (same-origin)
  // and the subprotocol (400 without chat.v2 or chat.v1); then requireLogin (401 without a session); the 101.
  app.ws('/chat', { subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true }, requireLogin, (socket, req) =>
    room.join(socket, req.res?.locals.user, socket.protocol, transportOf(req)),
  );
  // The demo's slow hook: it outlasts the route's 1 s handshakeTimeout, so the gate answers 503 HANDSHAKE_TIMEOUT.
  app.ws('/slow', slowRoute, (socket) => socket.close());

  app.use((error: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = error.status ?? 500;
    if (status >= 500) console.error(error);
    res.status(status).json({ error: status >= 500 ? 'internal error' : error.message });
  });

  return app;
}
