// RequestSite: the core owns the forwarding rule. A framework's scheme and host can differ from the wire's only
// through X-Forwarded-Proto / X-Forwarded-Host, so without them the framework is never asked, on any adapter.

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type FrameworkView, RequestSite, type WireFacts } from '../../src/decision/facts.js';

function wire(lines: string[], options: { authority?: string; encrypted?: boolean } = {}): WireFacts {
  const hostHeader = 'app.example';
  return {
    transport: 'http/1.1',
    request: {} as IncomingMessage,
    headers: ['Host', hostHeader, ...lines],
    hostHeader,
    authority: options.authority ?? hostHeader,
    encrypted: options.encrypted ?? false,
    peerAddress: '10.0.0.1',
  };
}

/** A view that says the proxy's answers, and counts how often it was asked. */
function countingView(): FrameworkView & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    get secure() {
      asked.push('secure');
      return true;
    },
    get host() {
      asked.push('host');
      return 'public.example';
    },
  };
}

describe('RequestSite: the forwarding rule', () => {
  it.each([
    ['neither header', [], false, 'app.example', []],
    ['X-Forwarded-Proto only', ['X-Forwarded-Proto', 'https'], true, 'app.example', ['secure']],
    ['X-Forwarded-Host only', ['X-Forwarded-Host', 'public.example'], false, 'public.example', ['host']],
    [
      'both, in any case',
      ['x-forwarded-host', 'public.example', 'X-FORWARDED-PROTO', 'https'],
      true,
      'public.example',
      ['secure', 'host'],
    ],
  ])('%s', (_name, lines, secure, host, asked) => {
    const view = countingView();
    const site = new RequestSite(wire(lines as string[]), view);
    expect([site.secure, site.host, site.secure, site.host]).toEqual([secure, host, secure, host]);
    expect(view.asked).toEqual(asked); // once each at most: the answers are kept
  });

  it("a framework that reports the Host header does not override an absolute-form target's authority", () => {
    const view: FrameworkView = { host: 'app.example' };
    const site = new RequestSite(wire(['X-Forwarded-Host', 'app.example'], { authority: 'target.example' }), view);
    expect(site.host).toBe('target.example');
  });

  it("without a view, the wire's answers", () => {
    const site = new RequestSite(wire(['X-Forwarded-Proto', 'https'], { encrypted: true }), undefined);
    expect([site.secure, site.host, site.ip]).toEqual([true, 'app.example', '10.0.0.1']);
  });
});
