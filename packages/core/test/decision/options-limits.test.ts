// The per-connection limits' options (issue #24): a value wsgate cannot use is a TypeError at setup naming it.
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/index.js';

describe('maxPendingPerConnection and http2PingInterval', () => {
  it.each([
    ['maxPendingPerConnection', 0],
    ['maxPendingPerConnection', 1.5],
    ['maxPendingPerConnection', '64'],
    ['http2PingInterval', -1],
    ['http2PingInterval', '30s'],
    ['http2PingInterval', Number.POSITIVE_INFINITY],
  ])('%s: %j is a TypeError that names the option', (name, value) => {
    expect(() => createGate({ [name]: value })).toThrow(new RegExp(`option "${name}" must be`));
    expect(() => createGate({ [name]: value })).toThrow(TypeError);
  });

  it.each([
    { maxPendingPerConnection: 1 },
    { maxPendingPerConnection: 64 },
    { http2PingInterval: 0 },
    { http2PingInterval: 30_000 },
  ])('%j is taken', (options) => {
    expect(() => createGate(options)).not.toThrow();
  });
});
