// Express 4 and 5 with the middleware people put in front of a WebSocket route, wired as their READMEs wire
// them: express-session + passport-local, helmet, cors, compression, express-rate-limit (draft-8 headers),
// signed cookie-parser, morgan (on the HTTP API only, so that nothing watches the WebSocket responses), and
// express.json(). One server per Express, many cases, a real `ws` client over TCP.
import { createServer } from 'node:http';
import { wsgate } from '@wsgate/express';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express5, { type NextFunction, type Request, type Response } from 'express';
import rateLimit from 'express-rate-limit';
import session from 'express-session';
import express4 from 'express4';
import helmet from 'helmet';
import morgan from 'morgan';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen, opened, refused, request, watchStderr, withCookies } from './support.js';

declare module 'express-session' {
  interface SessionData {
    visits: number;
  }
}

type User = { username: string };

function chatApp(express: typeof express5) {
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => done(null, password === 'secret' ? { username } : false)),
  );
  passport.serializeUser((user, done) => done(null, (user as User).username));
  passport.deserializeUser((username: string, done) => done(null, { username }));
  const logged: string[] = [];

  const app = wsgate(express());
  app.use(helmet());
  app.use(cors({ origin: 'http://cors.example', credentials: true }));
  app.use(compression());
  app.use(cookieParser('cookie secret'));
  app.use(
    session({ secret: 'session secret', resave: false, saveUninitialized: false, store: new session.MemoryStore() }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(express.json());
  app.use('/api', morgan('tiny', { stream: { write: (line: string) => logged.push(line) } }));

  app.post('/api/login', passport.authenticate('local'), (req, res) => {
    res.json({ user: (req.user as User).username });
  });
  app.get('/api/me', (req, res) => {
    res.json({ user: (req.user as User | undefined)?.username ?? null, visits: req.session.visits ?? 0 });
  });
  app.get('/api/team', (_req, res) => {
    res.cookie('team', 'red', { signed: true }).json({ team: 'red' });
  });

  const requireUser = (req: Request, res: Response, next: NextFunction) => {
    if (req.user === undefined) res.status(401).json({ error: 'login required' });
    else next();
  };
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: 2,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    message: { error: 'slow down' },
  });

  app.ws('/ws/me', requireUser, (socket, req) => socket.send(JSON.stringify({ user: (req.user as User).username })));
  app.ws('/ws/limited', limiter, (socket) => socket.send('in'));
  // passport's default: session: true, so req.logIn() regenerates the session.
  app.ws('/ws/login', passport.authenticate('local'), (socket, req) => socket.send((req.user as User).username));
  app.ws(
    '/ws/visit',
    requireUser,
    (req, _res, next) => {
      req.session.visits = (req.session.visits ?? 0) + 1;
      next();
    },
    (socket, req) => socket.send(String(req.session.visits)),
  );
  app.ws(
    '/ws/team',
    (req, res, next) => (req.signedCookies.team === 'red' ? next() : res.status(403).send('red team only')),
    (socket, req) => socket.send(String(req.signedCookies.team)),
  );
  return { app, logged };
}

describe.each([
  ['express 4', express4 as unknown as typeof express5],
  ['express 5', express5],
])('%s with its middleware', (_name, express) => {
  let server: Listening;
  let logged: string[];
  const stderr = watchStderr();

  beforeAll(async () => {
    const built = chatApp(express);
    logged = built.logged;
    server = await listen(built.app.wsgate.attach(createServer(built.app)));
  });
  afterAll(async () => {
    stderr.restore();
    await server.close();
  });

  async function login(name: string): Promise<string> {
    const answer = await request(`${server.base}/api/login`, { json: { username: name, password: 'secret' } });
    expect(answer.status).toBe(200);
    return withCookies(undefined, answer.setCookie);
  }

  it('allowed: the session user reaches the handler; helmet, cors and the limiter’s headers ride on the 101', async () => {
    const cookie = await login('ada');
    const me = await opened(`${server.ws}/ws/me`, { cookie });
    expect(JSON.parse(me.first)).toEqual({ user: 'ada' });
    expect(me.headers['x-content-type-options']).toBe('nosniff');
    expect(me.headers['content-security-policy']).toContain("default-src 'self'");
    expect(me.headers['access-control-allow-origin']).toBe('http://cors.example');
    expect(me.headers['content-type']).toBeUndefined();
    const limited = await opened(`${server.ws}/ws/limited`, { headers: { 'X-Client': 'allowed' } });
    expect(limited.first).toBe('in');
    expect(limited.headers['ratelimit-policy']).toMatch(/^"\d+-in-1min"; q=2; w=60/);
    expect(limited.headers.ratelimit).toMatch(/r=1/);
  });

  it('refused: each middleware’s own status and body', async () => {
    const anonymous = await refused(`${server.ws}/ws/me`);
    expect([anonymous.status, JSON.parse(anonymous.body)]).toEqual([401, { error: 'login required' }]);
    const badPassword = await refused(`${server.ws}/ws/login?username=ada&password=wrong`);
    expect([badPassword.status, badPassword.body]).toEqual([401, 'Unauthorized']);
    const forged = await refused(`${server.ws}/ws/team`, { cookie: 'team=s%3Ared.forged' });
    expect([forged.status, forged.body]).toEqual([403, 'red team only']);
    // The limiter allows two per window: the third is its own 429 and body.
    await opened(`${server.ws}/ws/limited`);
    const third = await refused(`${server.ws}/ws/limited`);
    expect([third.status, JSON.parse(third.body)]).toEqual([429, { error: 'slow down' }]);
    expect(third.headers['retry-after']).toBeDefined();
  });

  it('cors does not open a WebSocket route to its origin: wsgate’s own origin policy decides', async () => {
    const cookie = await login('ada');
    const other = await refused(`${server.ws}/ws/me`, { cookie, origin: 'http://cors.example' });
    expect([other.status, other.headers['wsgate-code']]).toEqual([403, 'ORIGIN_FORBIDDEN']);
  });

  it('signed cookie-parser cookies reach the route', async () => {
    const team = await request(`${server.base}/api/team`);
    const cookie = withCookies(undefined, team.setCookie);
    expect((await opened(`${server.ws}/ws/team`, { cookie })).first).toBe('red');
  });

  it('passport’s session: true login on a WebSocket route: the regenerated session’s cookie rides on the 101', async () => {
    const before = await login('ada');
    const socket = await opened(`${server.ws}/ws/login?username=grace&password=secret`, { cookie: before });
    expect(socket.first).toBe('grace');
    const setCookie = socket.headers['set-cookie'];
    expect(setCookie?.[0]).toMatch(/^connect\.sid=/);
    const after = withCookies(before, setCookie);
    expect(after).not.toBe(before);
    // The old session was destroyed by regenerate(); the new one holds the login.
    expect(JSON.parse((await request(`${server.base}/api/me`, { cookie: before })).body).user).toBeNull();
    expect(JSON.parse((await request(`${server.base}/api/me`, { cookie: after })).body).user).toBe('grace');
  });

  it('a session change during a handshake is saved, with no logger watching the WebSocket responses', async () => {
    const cookie = await login('ada');
    const linesBefore = logged.length;
    expect((await opened(`${server.ws}/ws/visit`, { cookie })).first).toBe('1');
    expect((await opened(`${server.ws}/ws/visit`, { cookie })).first).toBe('2');
    expect(JSON.parse((await request(`${server.base}/api/me`, { cookie })).body)).toEqual({ user: 'ada', visits: 2 });
    // morgan watches /api only: it logged the /api/me above and none of the handshakes.
    expect(logged.slice(linesBefore)).toEqual([expect.stringMatching(/^GET \/api\/me 200/)]);
  });

  it('side effects: nothing on stderr', () => {
    expect(stderr.lines).toEqual([]);
  });
});
