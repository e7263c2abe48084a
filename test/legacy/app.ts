// The same draft-76 app on every server kind (wsgate-fixtures: the core's `attach`, Express 4 and 5, Koa 2 and
// 3, Fastify 5, Hono), each on 127.0.0.1 and a port of the system's choosing, with the gate's secure defaults
// (same-origin, loopback Host names). Routes:
//
//   /legacy        legacy: ['hixie-76']; the hook makes the context from the `user` cookie; the handler
//                  greets with `${connection.transport} ${hook's user} ${framework's user}` (the framework's
//                  own cookie parsing; the core has none: n/a), then echoes `echo: ${text}` and closes on
//                  `bye`; maxPayload 64, handshakeTimeout 300 ms
//   /legacy-stall  legacy; a framework middleware (core: the hook) that never goes on; handshakeTimeout 200 ms
//   /legacy-quota  legacy; quotaPerRoute(1)
//   /demo          legacy; Origin http://example.com, subprotocol 'sample': the draft's worked example (§1.3)
//
// The Host allowlist is loopback names with any port, and example.com (for /demo).
import { allowHosts, type Gate, quotaPerRoute, type RouteOptions, type Upgrade } from '@wsgate/core';
import { type FrameworkCookie, type RouteSpec, serverKinds } from 'wsgate-fixtures';

export const DEADLINE_MS = 300;
export const STALL_DEADLINE_MS = 200;
export const MAX_PAYLOAD = 64;

/** What a handler saw: the route, `connection.transport`, and the close code its socket reported. */
export interface Handled {
  route: string;
  transport: string;
  closeCode?: number;
}

export interface LegacyApp {
  readonly name: string;
  readonly port: number;
  readonly gate: Gate;
  readonly handled: Handled[];
  /** What onError received: nothing, in every test. */
  readonly errors: unknown[];
  close(): Promise<void>;
}

export type LegacyAppFactory = () => Promise<LegacyApp>;

type Context = { user: string };

const legacy = ['hixie-76'] as const;

/** §1.3's example: `ws://example.com/demo`, from http://example.com, protocol "sample". */
const demoOptions = { legacy, origin: ['http://example.com'], subprotocols: ['sample'] };

function legacyApp(build: (typeof serverKinds)[number]['build'], name: string): LegacyAppFactory {
  return async () => {
    const handled: Handled[] = [];
    const errors: unknown[] = [];
    /** Greets, echoes, closes on `bye`, and records what it saw; the framework's user only on /legacy. */
    const route = (path: string, options: RouteOptions<unknown>, extra: Partial<RouteSpec> = {}): RouteSpec => ({
      path,
      options,
      ...extra,
      handler: (socket, connection, cookie: FrameworkCookie) => {
        const record: Handled = { route: path, transport: connection.transport };
        handled.push(record);
        const context = connection.context as Context | undefined;
        const frameworkUser = path !== '/legacy' ? undefined : cookie ? cookie('user') : 'n/a';
        socket.send(`${connection.transport} ${context?.user} ${frameworkUser}`);
        socket.on('message', (text) => {
          if (String(text) === 'bye') socket.close();
          else socket.send(`echo: ${String(text)}`);
        });
        socket.on('close', (code) => {
          record.closeCode = code;
        });
      },
    });
    const app = await build({
      gate: {
        hosts: allowHosts(['127.0.0.1:*', 'localhost:*', 'example.com']),
        onError: (error: unknown) => errors.push(error),
      },
      routes: [
        route('/legacy', {
          legacy,
          // The context from the cookie, as the app's framework parsed it.
          onUpgrade: (upgrade: Upgrade): Context => ({ user: upgrade.cookies.user ?? 'anonymous' }),
          maxPayload: MAX_PAYLOAD,
          handshakeTimeout: DEADLINE_MS,
        }),
        route(
          '/legacy-stall',
          { legacy, handshakeTimeout: STALL_DEADLINE_MS },
          { middleware: [{ kind: 'wait', until: () => new Promise<never>(() => {}) }] },
        ),
        route('/legacy-quota', { legacy, quotas: [quotaPerRoute(1)] }),
        route('/demo', demoOptions),
      ],
      onAppError: (error) => errors.push(error),
    });
    const { port } = await app.listen();
    return { name, port, gate: app.gate, handled, errors, close: () => app.close() };
  };
}

export const factories: Array<[string, LegacyAppFactory]> = serverKinds.map(({ kind, build }) => [
  kind,
  legacyApp(build, kind),
]);
