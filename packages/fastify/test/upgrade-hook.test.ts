// `onUpgrade(upgrade, request)`: the hook gets the Fastify request after the route's hooks ran, as Koa's gets
// `ctx` and Hono's `c`, so that what a hook or a plugin put on the request (a session, a user) makes the
// connection's context without a side channel.
import type { FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, nextMessage, open, refused, serve } from './helpers.js';

afterEach(cleanup);

declare module 'fastify' {
  interface FastifyRequest {
    member?: string;
  }
}

/** A preHandler that puts the member named in `?member=` on the request, as an auth plugin would. */
async function identify(request: FastifyRequest) {
  request.member = (request.query as { member?: string }).member;
}

describe("onUpgrade gets the Fastify request after the route's hooks", () => {
  it("a route's hook makes the context from what a preHandler put on the request, or refuses", async () => {
    const seen: string[] = [];
    const { url } = await serve((app) => {
      app.decorateRequest('member', undefined);
      app.get(
        '/room',
        {
          preHandler: identify,
          websocket: {
            onUpgrade: (upgrade, request) => {
              seen.push(request.routeOptions.url ?? '');
              return request.member === undefined
                ? upgrade.reject(401, { error: 'who are you?' })
                : { member: request.member };
            },
          },
        },
        (socket, _request, context) => socket.send(`hello ${context.member}`),
      );
    });
    const socket = await open(`${url}/room?member=ada`);
    expect(await nextMessage(socket)).toBe('hello ada');
    socket.close();
    expect(await refused(`${url}/room`)).toMatchObject({ status: 401, body: '{"error":"who are you?"}' });
    expect(seen).toEqual(['/room', '/room']);
  });

  it("the plugin's hook, every route's default, gets it too", async () => {
    const { url } = await serve(
      (app) => {
        app.decorateRequest('member', undefined);
        app.get('/room', { preHandler: identify, websocket: true }, (socket, _request, context) =>
          socket.send(JSON.stringify(context)),
        );
      },
      { plugin: { onUpgrade: (_upgrade, request) => ({ member: request.member, id: typeof request.id }) } },
    );
    const socket = await open(`${url}/room?member=grace`);
    expect(JSON.parse(await nextMessage(socket))).toEqual({ member: 'grace', id: 'string' });
    socket.close();
  });

  it('a hook that is not a function is a TypeError at definition, naming the option', async () => {
    await expect(
      serve((app) => {
        app.get('/room', { websocket: { onUpgrade: 'yes' as never } }, () => {});
      }),
    ).rejects.toThrow(/onUpgrade/);
  });
});
