import { describe, expect, it } from 'vitest';
import { memoize } from '../../src/policy/memo.js';

describe('memoize', () => {
  it('parses each value once, freezes results, remembers misses, and stays bounded', () => {
    let calls = 0;
    const parse = memoize((value: string) => {
      calls++;
      return value === 'bad' ? undefined : { value };
    }, 2);
    const first = parse('a');
    expect(parse('a')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(parse('bad')).toBeUndefined();
    expect(parse('bad')).toBeUndefined();
    expect(calls).toBe(2);
    parse('c'); // full: starts afresh
    expect(parse('a')).not.toBe(first);
    expect(calls).toBe(4);
  });
});
