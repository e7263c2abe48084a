// decide (src/decision.ts): permessage-deflate, and the headers the acceptance carries — the app's middleware's
// (docs/architecture.md: all but content metadata, hop-by-hop fields and the handshake's own) and the hook's,
// which win over a carried one of the same name.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Admission } from '../../src/decision/admission.js';
import type { Upgrade } from '../../src/decision/hook.js';
import { isOwnedField } from '../../src/http/fields.js';
import { ADMISSION, accepted, site } from './decide-fixtures.js';

describe('decide: permessage-deflate', () => {
  const offer: Admission = { ...ADMISSION, offers: [{ name: 'permessage-deflate', params: Object.create(null) }] };

  it('negotiated when the route enables it and the client offers it', async () => {
    const accept = await accepted({ perMessageDeflate: true }, {}, offer);
    expect(accept.deflate?.header).toMatch(/^permessage-deflate/);
    accept.deflate?.extension.cleanup();
  });

  it.each([
    ['the route does not enable it', {}, offer, 'http/1.1'],
    ['the client offers nothing', { perMessageDeflate: true }, ADMISSION, 'http/1.1'],
    ['a draft-76 handshake', { perMessageDeflate: true }, offer, 'hixie-76'],
  ] as const)('not negotiated when %s', async (_when, options, admission, transport) => {
    const accept = await accepted(options, { site: site(undefined, transport) }, admission);
    expect(accept.deflate).toBeUndefined();
  });
});

describe('decide: the headers the acceptance carries', () => {
  const responseHeaders = {
    'x-request-id': 'r1',
    'set-cookie': ['a=1; Path=/', 'b=2; Path=/'],
    'x-count': 3,
    'x-override': 'middleware',
    'content-type': 'text/html; charset=utf-8',
    'content-length': '10',
    'content-security-policy': "default-src 'self'",
    connection: 'keep-alive',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    upgrade: 'h2c',
    'sec-websocket-accept': 'x',
    te: 'trailers',
    trailer: 'x',
    'proxy-connection': 'keep-alive',
    'x-undefined': undefined,
  };

  it('the middleware’s, but content metadata, hop-by-hop and the handshake’s own; the hook’s win', async () => {
    const onUpgrade = (upgrade: Upgrade) => {
      upgrade.setHeader('X-Override', 'hook');
      upgrade.setHeader('X-Hook', ['1', '2']);
      return true;
    };
    const accept = await accepted({ onUpgrade }, { site: site({ responseHeaders }) });
    expect(accept.headers).toEqual({
      'x-request-id': 'r1',
      'set-cookie': ['a=1; Path=/', 'b=2; Path=/'],
      'x-count': '3',
      'X-Override': 'hook',
      'X-Hook': ['1', '2'],
    });
  });

  it('only the hook’s without a framework view; none without a hook either', async () => {
    const onUpgrade = (upgrade: Upgrade) => {
      upgrade.setHeader('X-Hook', 'yes');
      return true;
    };
    expect((await accepted({ onUpgrade })).headers).toEqual({ 'X-Hook': 'yes' });
    expect((await accepted({}, { site: site({ responseHeaders: {} }) })).headers).toEqual({});
  });

  it('carries exactly the headers the rule allows, whatever the names (property)', async () => {
    const name = fc.oneof(
      fc.constantFrom(
        'Content-Type',
        'content-language',
        'Connection',
        'TE',
        'Upgrade',
        'Sec-WebSocket-Protocol',
        'Set-Cookie',
      ),
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(name, fc.string({ maxLength: 5 })),
        fc.uniqueArray(name, { maxLength: 3 }),
        async (carried, own) => {
          const onUpgrade = (upgrade: Upgrade) => {
            for (const header of own) upgrade.setHeader(header, 'hook');
            return true;
          };
          const ownLower = new Set(own.map((header) => header.toLowerCase()));
          if ([...ownLower].some((header) => isOwnedField('handshake', header))) return;
          const { headers } = await accepted({ onUpgrade }, { site: site({ responseHeaders: carried }) });
          for (const [header, value] of Object.entries(carried)) {
            const lower = header.toLowerCase();
            const dropped =
              lower.startsWith('content-') ||
              ['te', 'trailer', 'proxy-connection'].includes(lower) ||
              isOwnedField('handshake', lower);
            if (ownLower.has(lower)) expect(headers[header], header).toBe(own.includes(header) ? 'hook' : undefined);
            else expect(headers[header], header).toBe(dropped ? undefined : value);
          }
          for (const header of own) expect(headers[header]).toBe('hook');
        },
      ),
      { numRuns: Math.min(300, fc.readConfigureGlobal().numRuns ?? 300) },
    );
  });
});
