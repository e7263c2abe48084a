/**
 * Data framing of draft-hixie-thewebsocketprotocol-76 ("§" is a section of that draft): an incremental
 * reader of what a client sends (§5.3) and the two frames a server writes.
 *
 * Every frame starts with a /frame type/ byte (§5.3):
 * - high bit clear: the data runs up to a 0xFF byte. Type 0x00 is a text message in UTF-8.
 * - high bit set: a length follows in 7-bit groups, most significant first, each byte but the last with
 *   its high bit set; that many bytes are read and discarded. Type 0xFF with length 0 is the closing
 *   handshake (§1.4, §5.3).
 *
 * The reader holds at most `maxPayload` bytes of one message and never more, whatever the chunking: a
 * frame is measured while it is read, and refused the moment it passes the limit.
 */

import { isUtf8 } from 'node:buffer';

/** §4.2, §5.3: a text frame is 0x00, the UTF-8 bytes, then 0xFF. */
export function encodeHixie76Text(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(length + 2);
  frame[0] = 0x00;
  frame.write(text, 1, 'utf8'); // lone surrogates become U+FFFD: the bytes are always valid UTF-8, never 0xFF
  frame[length + 1] = 0xff;
  return frame;
}

/** §1.4, §5.3: the closing handshake, "a 0xFF byte and a 0x00 byte". */
export const HIXIE76_CLOSE_FRAME: Readonly<Buffer> = Buffer.from([0xff, 0x00]);

/** Why a client's bytes were refused; stable codes, and the RFC 6455 §7.4.1 code a ws user would see. */
export type Hixie76FramingError = 'UNKNOWN_FRAME_TYPE' | 'MESSAGE_TOO_BIG' | 'INVALID_UTF8';

export type Hixie76Event =
  | { readonly type: 'message'; readonly text: string }
  | { readonly type: 'close' }
  | { readonly type: 'error'; readonly code: Hixie76FramingError };

enum State {
  FrameType = 0,
  Text = 1,
  Length = 2,
  Skip = 3,
  Done = 4,
}

const NONE: readonly Hixie76Event[] = [];

/**
 * Reads a client's byte stream in chunks of any size. `push` returns what the chunk completed, in order.
 * After a 'close' or an 'error' event the reader is done and ignores whatever follows: on the closing
 * frame §5.3 sets the /client terminated/ flag and stops reading frames; after an error the connection
 * is being failed.
 *
 * Choice (the draft is vague or lax here, and these are stricter):
 * - A sentinel frame whose type is not 0x00 (0x01-0x7F) is refused as UNKNOWN_FRAME_TYPE. The draft
 *   tells the server to read it up to its 0xFF and discard it; but no draft-76 client sends one
 *   (browsers sent only 0x00 text and the closing frame), so its sender is not speaking draft-76.
 * - Length-prefixed frames (0x80-0xFF) are read and discarded as the draft says, but a length over
 *   `maxPayload` is refused as MESSAGE_TOO_BIG while its length bytes are still arriving.
 * - Invalid UTF-8 in a text frame is refused (INVALID_UTF8). For the server the draft leaves this open
 *   (§5.4, handling errors in UTF-8 from the client: closing the connection is one of the behaviours it
 *   allows); a handler never sees a replacement character or a lone surrogate.
 */
export class Hixie76Reader {
  private state = State.FrameType;
  private frameType = 0;
  private length = 0;
  private remaining = 0;
  /** The incomplete text frame's bytes so far: `size` bytes of `pending`, which grows by doubling. */
  private pending: Buffer | undefined;
  private size = 0;

  constructor(private readonly maxPayload: number) {}

  /** Whether a 'close' or an 'error' has been read. */
  get done(): boolean {
    return this.state === State.Done;
  }

  push(chunk: Buffer): readonly Hixie76Event[] {
    let events: Hixie76Event[] | undefined;
    let at = 0;
    while (at < chunk.length && this.state !== State.Done) {
      let event: Hixie76Event | undefined;
      switch (this.state) {
        case State.FrameType:
          event = this.readFrameType(chunk[at++] as number);
          break;
        case State.Length:
          event = this.readLength(chunk[at++] as number);
          break;
        case State.Skip: {
          const skipped = Math.min(this.remaining, chunk.length - at);
          at += skipped;
          this.remaining -= skipped;
          if (this.remaining === 0) this.state = State.FrameType;
          break;
        }
        case State.Text: {
          const end = chunk.indexOf(0xff, at);
          const stop = end === -1 ? chunk.length : end;
          event = this.readText(chunk.subarray(at, stop), end !== -1);
          at = end === -1 ? chunk.length : end + 1;
          break;
        }
      }
      if (event === undefined) continue;
      if (event.type !== 'message') this.finish();
      if (events === undefined) events = [event];
      else events.push(event);
    }
    return events ?? NONE;
  }

  private readFrameType(byte: number): Hixie76Event | undefined {
    this.frameType = byte;
    if ((byte & 0x80) !== 0) {
      this.length = 0;
      this.state = State.Length;
      return undefined;
    }
    if (byte !== 0x00) return { type: 'error', code: 'UNKNOWN_FRAME_TYPE' };
    this.state = State.Text;
    return undefined;
  }

  private finish(): void {
    this.state = State.Done;
    this.pending = undefined;
    this.size = 0;
  }

  /** §5.3: /length/ is multiplied by 128 and the byte's low 7 bits added, while the byte's high bit is set. */
  private readLength(byte: number): Hixie76Event | undefined {
    this.length = this.length * 128 + (byte & 0x7f);
    if (this.length > this.maxPayload) return { type: 'error', code: 'MESSAGE_TOO_BIG' };
    if ((byte & 0x80) !== 0) return undefined;
    if (this.length === 0) {
      this.state = State.FrameType;
      return this.frameType === 0xff ? { type: 'close' } : undefined;
    }
    this.remaining = this.length;
    this.state = State.Skip;
    return undefined;
  }

  /** A piece of a text frame's data; `last` when its 0xFF was found. */
  private readText(piece: Buffer, last: boolean): Hixie76Event | undefined {
    if (this.size + piece.length > this.maxPayload) return { type: 'error', code: 'MESSAGE_TOO_BIG' };
    if (!last) {
      this.append(piece);
      return undefined;
    }
    let data = piece;
    if (this.size > 0) {
      this.append(piece);
      data = (this.pending as Buffer).subarray(0, this.size);
    }
    this.pending = undefined;
    this.size = 0;
    this.state = State.FrameType;
    if (!isUtf8(data)) return { type: 'error', code: 'INVALID_UTF8' };
    return { type: 'message', text: data.toString('utf8') };
  }

  /**
   * Copies, into one buffer that doubles as needed up to `maxPayload`: holding slices would keep each
   * chunk they came from alive, and a client sending a byte per packet would cost an object per byte.
   */
  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    const needed = this.size + piece.length;
    if (this.pending === undefined || needed > this.pending.length) {
      const capacity = Math.min(this.maxPayload, Math.max(needed, 2 * (this.pending?.length ?? 0), 1024));
      const grown = Buffer.allocUnsafe(capacity);
      this.pending?.copy(grown, 0, 0, this.size);
      this.pending = grown;
    }
    piece.copy(this.pending, this.size);
    this.size = needed;
  }
}
