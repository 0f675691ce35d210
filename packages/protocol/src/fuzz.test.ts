import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packHeader } from './codec.js';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { MessageCodec } from './framing.js';
import { MESSAGE_TYPES } from './messages.js';
import { ENVELOPE, RUN_ID, SAMPLES } from './testing/fixtures.js';

/** mulberry32: small, seeded, reproducible; a failing case is replayed from its index. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CODES: readonly ProtocolErrorCode[] = [
  'version-mismatch',
  'run-id-mismatch',
  'malformed',
  'oversize',
  'unknown-type',
  'bad-signature',
  'replayed',
];

class Outcomes {
  readonly counts = new Map<string, number>();
  record(codec: MessageCodec, frames: Uint8Array[], label: string): void {
    try {
      const decoded = codec.decode(frames);
      assert.ok(MESSAGE_TYPES.includes(decoded.message.type), `${label}: decoded an unknown type`);
      this.bump('accepted');
    } catch (error) {
      if (!(error instanceof ProtocolError)) {
        assert.fail(`${label}: threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      }
      assert.ok(CODES.includes(error.code), `${label}: unexpected code ${error.code}`);
      this.bump(error.code);
    }
  }
  private bump(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

function randomBytes(next: () => number, max: number): Buffer {
  const out = Buffer.alloc(Math.floor(next() * max));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 2 ? 7 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return Math.floor(next() * 2 ** 33) - 2 ** 32;
    case 3:
      return [NaN, Infinity, -0, 1e308, next()][Math.floor(next() * 5)];
    case 4:
      return randomBytes(next, 12).toString('latin1');
    case 5:
      return MESSAGE_TYPES[Math.floor(next() * MESSAGE_TYPES.length)];
    case 6:
      return Math.floor(next() * 130);
    case 7:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 4); i > 0; i--)
        out[randomBytes(next, 6).toString('hex')] = randomValue(next, depth + 1);
      return out;
    }
  }
}

function mutate(next: () => number, frames: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = frames.map((f) => Buffer.from(f));
  const kind = Math.floor(next() * 7);
  const f = Math.floor(next() * out.length);
  const frame = out[f]!;
  switch (kind) {
    case 0: // flip bits
      for (let i = 1 + Math.floor(next() * 4); i > 0 && frame.length > 0; i--)
        frame[Math.floor(next() * frame.length)]! ^= 1 << Math.floor(next() * 8);
      return out;
    case 1: // truncate
      out[f] = frame.subarray(0, Math.floor(next() * frame.length));
      return out;
    case 2: // overwrite a byte with a "dangerous" msgpack token (ext, array32, map32, str32)
      if (frame.length > 0)
        frame[Math.floor(next() * frame.length)] = [0xc1, 0xc7, 0xd4, 0xd5, 0xdd, 0xdf, 0xdb, 0xc9][
          Math.floor(next() * 8)
        ]!;
      return out;
    case 3: // drop a frame
      out.splice(f, 1);
      return out;
    case 4: // duplicate a frame
      out.splice(f, 0, Buffer.from(frame));
      return out;
    case 5: // append garbage
      out[f] = Buffer.concat([frame, randomBytes(next, 16)]);
      return out;
    default: // replace with random bytes
      out[f] = randomBytes(next, 64);
      return out;
  }
}

describe('decoder fuzz (seeded)', () => {
  const plain = new MessageCodec({ runId: RUN_ID, limits: { maxHeaderBytes: 1 << 16, maxMessageBytes: 1 << 20 } });
  const signed = new MessageCodec({ runId: RUN_ID, secret: 'fuzz' });
  const valid = MESSAGE_TYPES.map((type) =>
    plain.encode(SAMPLES[type].message, SAMPLES[type].tensors).map((f) => Buffer.from(f)),
  );

  it('random byte frames are refused with a ProtocolError', () => {
    const next = rng(1);
    const outcomes = new Outcomes();
    for (let i = 0; i < 2000; i++) {
      const frames = Array.from({ length: 1 + Math.floor(next() * 3) }, () => randomBytes(next, 200));
      outcomes.record(plain, frames, `random #${i}`);
      outcomes.record(signed, frames, `random signed #${i}`);
    }
    assert.equal(outcomes.counts.get('accepted') ?? 0, 0);
  });

  it('mutated valid messages decode or are refused with a ProtocolError', () => {
    const next = rng(2);
    const outcomes = new Outcomes();
    for (let i = 0; i < 3000; i++) {
      const frames = valid[i % valid.length]!;
      let mutated = mutate(next, frames);
      if (next() < 0.3 && mutated.length > 0) mutated = mutate(next, mutated);
      outcomes.record(plain, mutated, `mutation #${i}`);
    }
    // The mutations must exercise the validators, not only the msgpack parser.
    assert.ok((outcomes.counts.get('malformed') ?? 0) > 100, JSON.stringify([...outcomes.counts]));
    assert.ok((outcomes.counts.get('accepted') ?? 0) > 0, JSON.stringify([...outcomes.counts]));
  });

  it('well-formed msgpack with random field values is refused with a ProtocolError', () => {
    const next = rng(3);
    const outcomes = new Outcomes();
    for (let i = 0; i < 2000; i++) {
      const type = MESSAGE_TYPES[i % MESSAGE_TYPES.length]!;
      const base: Record<string, unknown> = { ...SAMPLES[type].message, tensors: [] };
      const keys = Object.keys(base);
      for (let k = 1 + Math.floor(next() * 2); k > 0; k--)
        base[keys[Math.floor(next() * keys.length)]!] = randomValue(next, 0);
      let header: Buffer;
      try {
        header = packHeader(base);
      } catch {
        continue;
      }
      outcomes.record(
        plain,
        [header, ...Array.from({ length: Math.floor(next() * 3) }, () => randomBytes(next, 24))],
        `fields #${i}`,
      );
    }
    assert.ok((outcomes.counts.get('malformed') ?? 0) > 500, JSON.stringify([...outcomes.counts]));
  });

  it('leaves no decoder state behind: valid messages still decode exactly afterwards', () => {
    // Record-definition extensions in hostile input must not reinterpret small ints (0x40..0x7f) later.
    const hostile = Buffer.from([0xd4, 0x72, 0x40, 0x91, 0xa1, 0x78]);
    assert.throws(() => plain.decode([hostile]), ProtocolError);
    const message = {
      ...ENVELOPE,
      type: 'ring-token' as const,
      opSeq: 0x40,
      purpose: 'barrier' as const,
      origin: 0x7f,
      generation: 0x41,
    };
    assert.deepEqual(plain.decode(plain.encode(message)).message, message);
    for (const type of MESSAGE_TYPES) {
      const { message: sample, tensors } = SAMPLES[type];
      assert.deepEqual(plain.decode(plain.encode(sample, tensors)).message, sample);
    }
  });
});
