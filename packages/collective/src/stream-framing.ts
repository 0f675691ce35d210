import type { Socket } from 'node:net';

/** The first thing a successor writes on a ring stream: who it is. */
export interface StreamHello {
  readonly runId: string;
  readonly generation: number;
  readonly rank: number;
}

const MAX_HELLO_BYTES = 4096;

/** The hello as written on the wire: a u32 length, then JSON. */
export function encodeHello(hello: StreamHello): Buffer {
  const json = Buffer.from(JSON.stringify(hello));
  const out = Buffer.allocUnsafe(4 + json.length);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  return out;
}

/**
 * Reads the hello from a freshly accepted connection and passes it on (undefined when the peer
 * sent something else); no data may follow the hello before the sender writes.
 */
export function readHello(conn: Socket, done: (hello: StreamHello | undefined) => void): void {
  let got = Buffer.alloc(0);
  const onData = (data: Buffer): void => {
    got = Buffer.concat([got, data]);
    if (got.length < 4) return;
    const length = got.readUInt32LE(0);
    if (length > MAX_HELLO_BYTES || got.length > 4 + length) return finish(undefined);
    if (got.length < 4 + length) return;
    let hello: StreamHello | undefined;
    try {
      const parsed = JSON.parse(got.subarray(4).toString('utf8')) as Record<string, unknown>;
      if (
        typeof parsed['runId'] === 'string' &&
        Number.isSafeInteger(parsed['generation']) &&
        Number.isSafeInteger(parsed['rank'])
      ) {
        hello = parsed as unknown as StreamHello;
      }
    } catch {
      hello = undefined;
    }
    finish(hello);
  };
  const finish = (hello: StreamHello | undefined): void => {
    conn.off('data', onData);
    done(hello);
  };
  conn.on('data', onData);
}

/** Payload frames at least this long are read into reused buffers; smaller ones are allocated. */
const POOLED_BYTES = 64 * 1024;
/** Free buffers kept for reuse (each at least one chunk). */
const POOL_SIZE = 16;

/**
 * Reusable receive buffers. Every byte zeromq.js hands over is an external buffer that V8 counts
 * towards a garbage collection; in a worker whose heap holds a model, that collection costs more
 * than the transfer (bench/README.md, issue 15). Frames read into these are recycled once the
 * collective has consumed them, so a stream of gradients allocates nothing in steady state.
 */
export class FramePool {
  private readonly free: Uint8Array[] = [];
  private readonly mine = new WeakSet<ArrayBufferLike>();

  take(length: number): Uint8Array {
    if (length < POOLED_BYTES) return new Uint8Array(length);
    const index = this.free.findIndex((b) => b.byteLength >= length);
    const buffer = index >= 0 ? this.free.splice(index, 1)[0]! : this.allocate(length);
    return buffer.subarray(0, length);
  }

  /** Returns a frame obtained from take() once nothing reads it any more (others are ignored). */
  recycle(frame: Uint8Array): void {
    if (!this.mine.has(frame.buffer) || this.free.length >= POOL_SIZE) return;
    const whole = new Uint8Array(frame.buffer);
    if (!this.free.some((b) => b.buffer === whole.buffer)) this.free.push(whole);
  }

  private allocate(length: number): Uint8Array {
    // Powers of two: chunks of one collective (and their tails) share a few sizes.
    const buffer = new Uint8Array(2 ** Math.ceil(Math.log2(length)));
    this.mine.add(buffer.buffer);
    return buffer;
  }
}

/** Limits a reader enforces on the frame layout before any codec check. */
export interface FrameLimits {
  readonly maxFrames: number;
  readonly maxFrameBytes: number;
}

/**
 * Incremental parser of [u32 count, (u32 length, bytes) × count] messages arriving in arbitrary
 * pieces. Frames are copied out of each piece (the reader's buffer is reused for the next read).
 */
export class FrameParser {
  private readonly word = new Uint8Array(4);
  private wordFill = 0;
  private remainingFrames = -1;
  private frames: Uint8Array[] = [];
  private current: Uint8Array | undefined;
  private currentFill = 0;

  constructor(
    private readonly pool: FramePool,
    private readonly limits: FrameLimits,
  ) {}

  /**
   * Consumes `piece`; calls `message` for every complete message. Throws a one-line Error on a
   * layout outside the limits (the stream cannot be resynchronised after that).
   */
  push(piece: Uint8Array, message: (frames: Uint8Array[]) => void): void {
    let at = 0;
    while (at < piece.length) {
      if (this.current !== undefined) {
        const n = Math.min(piece.length - at, this.current.length - this.currentFill);
        this.current.set(piece.subarray(at, at + n), this.currentFill);
        this.currentFill += n;
        at += n;
        if (this.currentFill === this.current.length) this.endFrame(message);
        continue;
      }
      const n = Math.min(piece.length - at, 4 - this.wordFill);
      this.word.set(piece.subarray(at, at + n), this.wordFill);
      this.wordFill += n;
      at += n;
      if (this.wordFill < 4) break;
      this.wordFill = 0;
      const value = (this.word[0]! | (this.word[1]! << 8) | (this.word[2]! << 16) | (this.word[3]! << 24)) >>> 0;
      if (this.remainingFrames < 0) {
        if (value === 0 || value > this.limits.maxFrames)
          throw new Error(`ring stream: a message of ${value} frames (limit ${this.limits.maxFrames})`);
        this.remainingFrames = value;
      } else {
        if (value > this.limits.maxFrameBytes)
          throw new Error(`ring stream: a frame of ${value} bytes (limit ${this.limits.maxFrameBytes})`);
        this.current = this.pool.take(value);
        this.currentFill = 0;
        if (value === 0) this.endFrame(message);
      }
    }
  }

  private endFrame(message: (frames: Uint8Array[]) => void): void {
    this.frames.push(this.current!);
    this.current = undefined;
    if (--this.remainingFrames > 0) return;
    const frames = this.frames;
    this.frames = [];
    this.remainingFrames = -1;
    message(frames);
  }
}
