import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameParser, FramePool } from './stream-framing.js';

/** The wire form StreamSender writes: u32 count, then (u32 length, bytes) per frame. */
function wire(messages: Uint8Array[][]): Uint8Array {
  const parts: Buffer[] = [];
  for (const frames of messages) {
    const count = Buffer.alloc(4);
    count.writeUInt32LE(frames.length);
    parts.push(count);
    for (const frame of frames) {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(frame.byteLength);
      parts.push(length, Buffer.from(frame));
    }
  }
  return Buffer.concat(parts);
}

const limits = { maxFrames: 16, maxFrameBytes: 1 << 20 };

describe('ring stream framing', () => {
  it('reassembles messages however the stream is cut into pieces', () => {
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    const messages = [
      [Uint8Array.from([1, 2, 3]), big],
      [new Uint8Array(0)],
      [Uint8Array.from([9]), new Uint8Array(70_000).fill(7), Uint8Array.from([4, 5])],
    ];
    const bytes = wire(messages);
    for (const piece of [1, 3, 4, 5, 4096, 65_537, bytes.length]) {
      const parser = new FrameParser(new FramePool(), limits);
      const got: Uint8Array[][] = [];
      for (let at = 0; at < bytes.length; at += piece)
        parser.push(bytes.subarray(at, at + piece), (f) => got.push(f.map((x) => Uint8Array.from(x))));
      assert.deepEqual(got, messages, `pieces of ${piece} bytes`);
    }
  });

  it('refuses a layout beyond the limits instead of allocating it', () => {
    const tooMany = Buffer.alloc(4);
    tooMany.writeUInt32LE(17);
    assert.throws(() => new FrameParser(new FramePool(), limits).push(tooMany, () => {}), /17 frames \(limit 16\)/);
    const none = Buffer.alloc(4);
    assert.throws(() => new FrameParser(new FramePool(), limits).push(none, () => {}), /0 frames/);
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(1, 0);
    huge.writeUInt32LE((1 << 20) + 1, 4);
    assert.throws(() => new FrameParser(new FramePool(), limits).push(huge, () => {}), /1048577 bytes/);
  });

  it('reuses a large frame buffer once it is recycled, and only then', () => {
    const pool = new FramePool();
    const a = pool.take(100_000);
    const b = pool.take(100_000);
    assert.notEqual(a.buffer, b.buffer, 'a buffer in use is never handed out twice');
    pool.recycle(a);
    const c = pool.take(90_000);
    assert.equal(c.buffer, a.buffer);
    assert.equal(c.byteLength, 90_000);
    // Small frames and foreign buffers are not pooled.
    const small = pool.take(100);
    pool.recycle(small);
    const foreign = new Uint8Array(200_000);
    pool.recycle(foreign);
    assert.notEqual(pool.take(100).buffer, small.buffer);
    assert.notEqual(pool.take(150_000).buffer, foreign.buffer);
  });
});
