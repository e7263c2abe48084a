// The contract app: the same routes, options, hooks and probes on every server kind (wsgate-fixtures builds it
// with each framework's own means). What a route does:
//
//   /ws       echo; the handler reports what it got (context, protocol, route, transport)
//   /auth     the framework's own middleware (core: the onUpgrade hook) answers 401 JSON without `x-user`
//   /chat     subprotocols ['chat.v2', 'chat.v1'], requireSubprotocol
//   /hook     an onUpgrade hook: context { user, secure, host, ip }, `X-Hook: yes` on the 101; `x-deny`: 403
//   /headers  a middleware sets X-From-Middleware, Set-Cookie, X-Override and Content-Type before the route;
//             the hook sets X-Override again (core: the hook sets them all)
//   /slow     a middleware (core: the hook's first half) that waits for `latches.middleware`
//   /hang     handshakeTimeout 200 ms, a hook that never settles
//   /throw    a hook that throws
//   /quota    one connection per `x-quota-key`;  /rate  one handshake per `x-rate-key` per hour
//   /store    a rate limit whose store fails
//   /open     missingOrigin 'allow';  /strict  missingOrigin 'reject';  /allowed  origin ['http://allowed.example']
//   /life     the hook's context { user, session } from `x-user` / `x-session` is the connection's keys; it
//             expires `x-expires-in` ms after it opened (if given), and `refresh` extends it `x-refreshes` times
//   /beat     heartbeat every 200 ms (timeout 100 ms), one connection at a time (a quota lease)
//   /answered a middleware (core: the hook) that writes its own 403 on the framework's response and still
//             lets the request through to the route: its answer stands, and the route does nothing
//   /health   an ordinary HTTP route answering `ok` (text/plain); any other path: the app's own 404
//
// /ws, /auth, /chat, /hook, /throw, /store, /strict and /allowed serve draft-76 too (`legacy`), for the cases
// that run over it (transports.test.ts); /open does not.
import type { ConnectionCloseEvent, GateOptions, HandshakeEvent, RouteOptions, Upgrade } from '@wsgate/core';
import { quotaPerKey, rateLimitPerKey } from '@wsgate/core';
import type { WebSocket } from 'ws';
import type { AppSpec, Middleware } from 'wsgate-fixtures';

export { LOGIN_REQUIRED } from 'wsgate-fixtures';
export const HANG_DEADLINE_MS = 200;

/** A gate for `await`s: open (passing through) unless held. */
export class Latch {
  #held: Promise<void> | undefined;
  #open: (() => void) | undefined;

  hold(): void {
    this.#held ??= new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  release(): void {
    this.#open?.();
    this.#held = undefined;
    this.#open = undefined;
  }

  wait(): Promise<void> {
    return this.#held ?? Promise.resolve();
  }
}

/** What a handler got, in the same shape on every server kind. */
export interface Handled {
  readonly route: string;
  readonly context: unknown;
  readonly protocol: string | undefined;
  readonly transport: string;
  /** The ws socket's own idea of the protocol: '' when none. */
  readonly socketProtocol: string;
}

export type EventRecord = Pick<HandshakeEvent, 'outcome' | 'code' | 'status' | 'route' | 'transport'> & {
  readonly durationMs: number;
};

/** What the app saw, for the assertions. */
export interface Probe {
  handled: Handled[];
  events: EventRecord[];
  /** Every connection's close event. */
  closes: ConnectionCloseEvent[];
  /** Calls of /life's refresh. */
  refreshes: number;
  errors: unknown[];
  /** Requests that reached /slow's middleware, and those whose wait is over. */
  slowStarted: number;
  slowDone: number;
  /** `upgrade.signal` of every /hang hook call. */
  signals: AbortSignal[];
}

export type RoutePath =
  | '/ws'
  | '/auth'
  | '/chat'
  | '/hook'
  | '/headers'
  | '/slow'
  | '/hang'
  | '/throw'
  | '/quota'
  | '/rate'
  | '/store'
  | '/open'
  | '/strict'
  | '/allowed'
  | '/life'
  | '/beat'
  | '/answered';

export const ROUTE_PATHS: readonly RoutePath[] = [
  '/ws',
  '/auth',
  '/chat',
  '/hook',
  '/headers',
  '/slow',
  '/hang',
  '/throw',
  '/quota',
  '/rate',
  '/store',
  '/open',
  '/strict',
  '/allowed',
  '/life',
  '/beat',
  '/answered',
];

/** What /answered's middleware writes on the framework's response before it calls the next one. */
export const ANSWERED = {
  status: 403,
  headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  body: 'answered by the app\n',
} as const;

/** The headers /headers' middleware sets before the route, through each framework's own response API. */
export const MIDDLEWARE_HEADERS = {
  'X-From-Middleware': 'yes',
  'Set-Cookie': 'sid=abc; Path=/',
  'X-Override': 'middleware',
  'Content-Type': 'text/html; charset=utf-8',
} as const;

function header(upgrade: Upgrade, name: string): string | undefined {
  const value = upgrade.request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

interface LifeContext {
  user: string;
  session: string;
  expiresIn: number;
  refreshes: number;
}

export interface ContractApp {
  readonly probe: Probe;
  readonly latches: { readonly middleware: Latch };
  readonly gateOptions: GateOptions;
  /** Each route's core options; the framework-side middleware is each server's own. */
  readonly routes: Record<RoutePath, RouteOptions<unknown>>;
  /** The handler: reports the connection it got (core's `Connection`, or the adapter's), and echoes. */
  report(socket: WebSocket, connection: Omit<Handled, 'socketProtocol'>): void;
  /** /slow's middleware body. */
  slow(): Promise<void>;
  /** The app for wsgate-fixtures to build on a server kind. */
  spec(): AppSpec;
}

const legacy = ['hixie-76'] as const;

const failingStore = {
  hit(): never {
    throw new Error('the rate store is down');
  },
};

export function contractApp(extra: GateOptions = {}): ContractApp {
  const probe: Probe = {
    handled: [],
    events: [],
    closes: [],
    refreshes: 0,
    errors: [],
    slowStarted: 0,
    slowDone: 0,
    signals: [],
  };
  const latches = { middleware: new Latch() };
  const gateOptions: GateOptions = {
    logRejections: false,
    onError: (error) => {
      probe.errors.push(error);
    },
    onEvent: (event) => {
      if (event.outcome === 'close') {
        probe.closes.push(event);
        return;
      }
      const { outcome, code, status, route, transport, durationMs } = event;
      probe.events.push({ outcome, code, status, route, transport, durationMs });
    },
    ...extra,
  };
  const routes: Record<RoutePath, RouteOptions<unknown>> = {
    '/ws': { legacy },
    '/auth': { legacy },
    '/chat': { legacy, subprotocols: ['chat.v2', 'chat.v1'], requireSubprotocol: true },
    '/hook': {
      legacy,
      onUpgrade: (upgrade) => {
        if (header(upgrade, 'x-deny') !== undefined)
          return upgrade.reject(403, 'denied by the hook\n', { 'X-Denied': 'yes' });
        upgrade.setHeader('X-Hook', 'yes');
        // The request's own scheme, authority and client as the hook sees them (trust proxy applied).
        const { secure, host, ip } = upgrade;
        return { user: header(upgrade, 'x-user') ?? 'anonymous', secure, host, ip };
      },
    },
    '/headers': {
      onUpgrade: (upgrade) => {
        upgrade.setHeader('X-Override', 'hook');
        return { headers: true };
      },
    },
    '/slow': { handshakeTimeout: 30_000 },
    '/hang': {
      handshakeTimeout: HANG_DEADLINE_MS,
      onUpgrade: (upgrade) => {
        probe.signals.push(upgrade.signal);
        return new Promise<never>(() => {});
      },
    },
    '/throw': {
      legacy,
      onUpgrade: () => {
        throw new Error('the hook failed');
      },
    },
    '/quota': { quotas: [quotaPerKey(1, ({ request }) => String(request.headers['x-quota-key'] ?? 'none'))] },
    '/rate': {
      rateLimits: [rateLimitPerKey(1, ({ request }) => String(request.headers['x-rate-key'] ?? 'none'), { per: '1h' })],
    },
    '/store': { legacy, rateLimits: [rateLimitPerKey(1, () => 'any', { store: failingStore })] },
    '/open': { missingOrigin: 'allow' },
    '/strict': { legacy, missingOrigin: 'reject' },
    '/allowed': { legacy, origin: ['http://allowed.example'] },
    '/life': {
      onUpgrade: (upgrade) => ({
        user: header(upgrade, 'x-user') ?? 'anonymous',
        session: header(upgrade, 'x-session') ?? 'none',
        expiresIn: Number(header(upgrade, 'x-expires-in') ?? Number.NaN),
        refreshes: Number(header(upgrade, 'x-refreshes') ?? 0),
      }),
      keys: (context) => {
        const { user, session } = context as LifeContext;
        return { user, session };
      },
      expiresAt: (context) => {
        const { expiresIn } = context as LifeContext;
        return Number.isNaN(expiresIn) ? undefined : Date.now() + expiresIn;
      },
      refresh: async (context) => {
        const life = context as LifeContext;
        probe.refreshes++;
        return life.refreshes-- > 0 ? Date.now() + life.expiresIn : undefined;
      },
      heartbeat: false,
    },
    '/beat': { heartbeat: { interval: 200, timeout: 100 }, quotas: [quotaPerKey(1, () => 'beat')] },
    '/answered': {},
  };
  return {
    probe,
    latches,
    gateOptions,
    routes,
    report(socket, { route, context, protocol, transport }) {
      probe.handled.push({ route, context, protocol, transport, socketProtocol: socket.protocol });
      socket.on('message', (data, binary) => socket.send(data, { binary }));
    },
    async slow() {
      probe.slowStarted++;
      await latches.middleware.wait();
      probe.slowDone++;
    },
    spec() {
      const middleware: Partial<Record<RoutePath, Middleware[]>> = {
        '/auth': [{ kind: 'requireLogin', from: 'header', name: 'x-user' }],
        '/headers': [{ kind: 'headers', headers: MIDDLEWARE_HEADERS }],
        '/slow': [{ kind: 'wait', until: () => this.slow() }],
        '/answered': [{ kind: 'answer', ...ANSWERED }],
      };
      return {
        gate: gateOptions,
        routes: ROUTE_PATHS.map((path) => ({
          path,
          options: routes[path],
          middleware: middleware[path] ?? [],
          handler: (socket, connection) => this.report(socket, connection),
        })),
        onAppError: (error) => probe.errors.push(error),
      };
    },
  };
}
