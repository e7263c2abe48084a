import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeHixie76Text,
  HIXIE76_CLOSE_FRAME,
  type Hixie76Event,
  Hixie76Reader,
} from '../../src/engine/hixie76-framing.js';

// A reference encoder for what a client may send (§4.2), written from the draft apart from the reader.
type Frame = { text: string } | { binary: number; length: number } | { close: true };
function encode(frame: Frame): Buffer {
  if ('text' in frame) return Buffer.concat([Buffer.of(0x00), Buffer.from(frame.text, 'utf8'), Buffer.of(0xff)]);
  if ('close' in frame) return Buffer.of(0xff, 0x00);
  const groups: number[] = [];
  let length = frame.length;
  do {
    groups.unshift(length % 128);
    length = Math.floor(length / 128);
  } while (length > 0);
  const header = groups.map((group, i) => (i < groups.length - 1 ? group | 0x80 : group));
  return Buffer.concat([Buffer.of(frame.binary, ...header), Buffer.alloc(frame.length, 0xab)]);
}
function expected(frames: Frame[]): Hixie76Event[] {
  const events: Hixie76Event[] = [];
  for (const frame of frames) {
    if ('text' in frame) events.push({ type: 'message', text: frame.text });
    if ('close' in frame) {
      events.push({ type: 'close' });
      break;
    }
  }
  return events;
}
function readAll(reader: Hixie76Reader, chunks: Buffer[]): Hixie76Event[] {
  return chunks.flatMap((chunk) => [...reader.push(chunk)]);
}
/** Cuts `bytes` at the given offsets (any number, any order, repeats allowed). */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

const MAX = 300;
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).map((t) => ({ text: t }));
const binary = fc
  .record({ binary: fc.integer({ min: 0x80, max: 0xff }), length: fc.integer({ min: 0, max: MAX }) })
  .filter((f) => !(f.binary === 0xff && f.length === 0));
const frames = fc
  .tuple(fc.array(fc.oneof(text, text, binary), { maxLength: 12 }), fc.boolean(), fc.array(text, { maxLength: 2 }))
  .map(([body, close, after]): Frame[] => (close ? [...body, { close: true }, ...after] : body));

describe('Hixie76Reader against a reference encoder (§5.3)', () => {
  it('reads the same events however the bytes are cut into chunks', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.nat(), { maxLength: 30 }), (list, offsets) => {
        const bytes = Buffer.concat(list.map(encode));
        expect(readAll(new Hixie76Reader(MAX), cut(bytes, offsets))).toEqual(expected(list));
      }),
    );
  });

  it('reads the same events one byte at a time and all at once', () => {
    fc.assert(
      fc.property(frames, (list) => {
        const bytes = Buffer.concat(list.map(encode));
        const byByte = readAll(
          new Hixie76Reader(MAX),
          [...bytes].map((b) => Buffer.of(b)),
        );
        expect(byByte).toEqual(expected(list));
        expect(readAll(new Hixie76Reader(MAX), [bytes])).toEqual(expected(list));
      }),
    );
  });

  it('never holds more than maxPayload bytes of an incomplete frame, however it is cut', () => {
    const oversize = fc
      .integer({ min: 0, max: 2 * MAX })
      .map((n) => Buffer.concat([Buffer.of(0x00), Buffer.alloc(n, 0x61)]));
    fc.assert(
      fc.property(frames, oversize, fc.array(fc.nat(), { maxLength: 30 }), (list, tail, offsets) => {
        const reader = new Hixie76Reader(MAX);
        const held = () => (reader as unknown as { pending?: Buffer }).pending?.length ?? 0;
        for (const chunk of cut(Buffer.concat([...list.map(encode), tail]), offsets)) {
          reader.push(chunk);
          expect(held()).toBeLessThanOrEqual(MAX);
        }
      }),
    );
  });

  it('never throws on arbitrary bytes, and reads nothing after a close or an error', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const events = readAll(
          new Hixie76Reader(64),
          chunks.map((c) => Buffer.from(c)),
        );
        const last = events.findIndex((e) => e.type !== 'message');
        if (last !== -1) expect(last).toBe(events.length - 1);
      }),
    );
  });

  it('round-trips encodeHixie76Text for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (value) => {
        const events = new Hixie76Reader(1 << 20).push(encodeHixie76Text(value));
        expect(events).toEqual([{ type: 'message', text: Buffer.from(value, 'utf8').toString('utf8') }]);
      }),
    );
  });
});

describe('Hixie76Reader, case by case', () => {
  const read = (bytes: number[], max = 100) => [...new Hixie76Reader(max).push(Buffer.from(bytes))];
  it.each([
    ['an empty text frame', [0x00, 0xff], [{ type: 'message', text: '' }]],
    ['NUL inside text is UTF-8', [0x00, 0x61, 0x00, 0x62, 0xff], [{ type: 'message', text: 'a\0b' }]],
    [
      'two frames in one chunk',
      [0x00, 0x61, 0xff, 0x00, 0x62, 0xff],
      [
        { type: 'message', text: 'a' },
        { type: 'message', text: 'b' },
      ],
    ],
    ['a closing frame', [0xff, 0x00], [{ type: 'close' }]],
    ['a closing frame whose zero length takes two bytes', [0xff, 0x80, 0x00], [{ type: 'close' }]],
    ['bytes after the closing frame are discarded', [0xff, 0x00, 0x00, 0x61, 0xff, 0x07], [{ type: 'close' }]],
    ['an empty length-prefixed frame is skipped', [0x80, 0x00, 0x00, 0x61, 0xff], [{ type: 'message', text: 'a' }]],
    ['0xFF with a length is data, skipped', [0xff, 0x01, 0x00, 0x00, 0x61, 0xff], [{ type: 'message', text: 'a' }]],
    [
      'a skipped frame may hold 0xFF and 0x00',
      [0x81, 0x02, 0xff, 0x00, 0x00, 0x61, 0xff],
      [{ type: 'message', text: 'a' }],
    ],
    ['type 0x01 is refused', [0x01, 0x61, 0xff], [{ type: 'error', code: 'UNKNOWN_FRAME_TYPE' }]],
    ['type 0x7F is refused', [0x7f, 0xff], [{ type: 'error', code: 'UNKNOWN_FRAME_TYPE' }]],
    ['a lone continuation byte', [0x00, 0x80, 0xff], [{ type: 'error', code: 'INVALID_UTF8' }]],
    ['an overlong NUL', [0x00, 0xc0, 0x80, 0xff], [{ type: 'error', code: 'INVALID_UTF8' }]],
    ['a UTF-16 surrogate', [0x00, 0xed, 0xa0, 0x80, 0xff], [{ type: 'error', code: 'INVALID_UTF8' }]],
    ['a truncated sequence', [0x00, 0xe2, 0x82, 0xff], [{ type: 'error', code: 'INVALID_UTF8' }]],
    ['past U+10FFFF', [0x00, 0xf4, 0x90, 0x80, 0x80, 0xff], [{ type: 'error', code: 'INVALID_UTF8' }]],
    [
      'messages before an error are read',
      [0x00, 0x61, 0xff, 0x05],
      [
        { type: 'message', text: 'a' },
        { type: 'error', code: 'UNKNOWN_FRAME_TYPE' },
      ],
    ],
  ])('%s', (_name, bytes, events) => {
    expect(read(bytes)).toEqual(events);
  });

  it('accepts a text frame of exactly maxPayload bytes, refuses one byte more', () => {
    const frame = (n: number) => [0x00, ...Buffer.alloc(n, 0x61), 0xff];
    expect(read(frame(100))).toEqual([{ type: 'message', text: 'a'.repeat(100) }]);
    expect(read(frame(101))).toEqual([{ type: 'error', code: 'MESSAGE_TOO_BIG' }]);
    expect(read([0x00, 0xff], 0)).toEqual([{ type: 'message', text: '' }]);
  });

  it('refuses an oversize text frame at the byte that passes the limit, before its end arrives', () => {
    const reader = new Hixie76Reader(10);
    expect(reader.push(Buffer.of(0x00))).toEqual([]);
    for (let i = 0; i < 10; i++) expect(reader.push(Buffer.of(0x61))).toEqual([]);
    expect(reader.push(Buffer.of(0x61))).toEqual([{ type: 'error', code: 'MESSAGE_TOO_BIG' }]);
    expect(reader.done).toBe(true);
  });

  it('refuses an oversize length-prefixed frame while its length is read, before any of its data', () => {
    const reader = new Hixie76Reader(1000);
    expect(reader.push(Buffer.of(0x80, 0x87))).toEqual([]); // 7 so far: more length bytes follow
    expect(reader.push(Buffer.of(0xe8))).toEqual([]); // 7 * 128 + 104 = 1000: still within
    expect(reader.push(Buffer.of(0x01))).toEqual([{ type: 'error', code: 'MESSAGE_TOO_BIG' }]);
  });

  it('a length of a thousand continuation bytes is refused, not overflowed', () => {
    const reader = new Hixie76Reader(2 ** 40);
    const events = reader.push(Buffer.from([0x80, ...Buffer.alloc(1000, 0xff)]));
    expect(events).toEqual([{ type: 'error', code: 'MESSAGE_TOO_BIG' }]);
  });
});

describe('encoding (§5.3)', () => {
  it('frames text as 0x00, UTF-8, 0xFF', () => {
    expect([...encodeHixie76Text('é€')]).toEqual([0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff]);
    expect([...encodeHixie76Text('')]).toEqual([0x00, 0xff]);
    expect([...encodeHixie76Text('\ud800')]).toEqual([0x00, 0xef, 0xbf, 0xbd, 0xff]);
  });
  it('closes with 0xFF 0x00', () => {
    expect([...HIXIE76_CLOSE_FRAME]).toEqual([0xff, 0x00]);
  });
});
