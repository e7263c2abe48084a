// The example chat on Express: server-side sessions (express-session, its MemoryStore), and an ordinary auth
// middleware that guards the WebSocket route exactly as it would guard an HTTP route — its 401 is the answer.
// Each chat socket belongs to its user and session (the route's `keys`): logging out destroys the session and
// closes that session's sockets in every tab (`gate.revoke`), and a replayed cookie finds no session (401).
import { wsgate } from '@wsgate/express';
import { chatPage, createRoom, exampleHosts, logHandshake, loginPage, sessionSecret, transportOf } from 'chat-page';
import { createGateLog, probePage, slowRoute } from 'chat-page/demo';
import { serveMetrics } from 'chat-page/telemetry'; // the gate's OpenTelemetry metrics, for GET /metrics
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

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
  // The handshake only reads the session: nothing is saved or set for a request that did not log in.
  // MemoryStore is express-session's example store; use a shared one (Redis…) with several processes.
  app.use(
    session({
      name: 'sid',
      secret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', path: '/' },
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));

  const userOf = (req: Request): string | undefined => req.session?.user;

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
    // A new session id at login (no fixation), then the user in it.
    req.session.regenerate((error) => {
      if (error) return void res.status(500).type('text').send('session error');
      req.session.user = name;
      res.redirect(303, '/');
    });
  });

  app.post('/logout', (req, res) => {
    const id = req.sessionID;
    req.session.destroy(() => {
      // The session is gone from the store (a replayed cookie gets 401); now its open sockets, in every tab.
      app.wsgate.gate.revoke({ session: id }, { reason: 'you logged out in another tab' });
      res.clearCookie('sid', { httpOnly: true, sameSite: 'lax', path: '/' });
      res.redirect(303, '/');
    });
  });

  // Host and protocol checks ran before the app saw the request; when the route matches, Origin (same-origin)
  // and the subprotocol (400 without chat.v2 or chat.v1); then requireLogin (401 without a session); the 101.
  app.ws(
    '/chat',
    {
      subprotocols: ['chat.v2', 'chat.v1'],
      requireSubprotocol: true,
      // After requireLogin: the connection's user and session, the keys `gate.revoke` closes it by.
      onUpgrade: (upgrade) => {
        const req = upgrade.request as Request;
        return { user: req.session.user as string, session: req.sessionID };
      },
      keys: ({ user, session }) => ({ user, session }),
    },
    requireLogin,
    (socket, req) => room.join(socket, req.res?.locals.user, socket.protocol, transportOf(req)),
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
