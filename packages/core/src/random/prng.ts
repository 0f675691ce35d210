/**
 * Seeded pseudo-random numbers that are identical on every process and platform.
 *
 * Data-parallel replicas must draw the same new neurons without exchanging a message, so every
 * draw comes from a generator whose state is derived from integers (run seed, step, layer, ...)
 * rather than from `Math.random` or a backend's own RNG.
 */

/** The 128-bit state of a {@link Prng}, serialisable into checkpoints. */
export type PrngState = [number, number, number, number];

/** Mixes a 32-bit integer (splitmix32 finaliser): small input changes flip about half the bits. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/**
 * Derives a 128-bit state from any list of integers. Keys such as (seed, step, layer) give
 * independent-looking streams; the same key always gives the same stream.
 */
export function deriveState(...key: number[]): PrngState {
  const state: PrngState = [0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x85a308d3];
  for (const k of key) {
    if (!Number.isSafeInteger(k)) throw new RangeError(`PRNG key part must be a safe integer, got ${k}`);
    // Split into 32-bit halves so keys above 2^32 (e.g. step counts) are not truncated.
    const lo = k >>> 0;
    const hi = Math.floor(k / 2 ** 32) >>> 0;
    for (let i = 0; i < 4; i++) state[i] = mix32(state[i] ^ mix32(lo + Math.imul(i + 1, 0x9e3779b9)) ^ hi);
  }
  if ((state[0] | state[1] | state[2] | state[3]) === 0) state[0] = 1;
  return state;
}

/** xoshiro128** generator: fast, 2^128−1 period, state fits four uint32. */
export class Prng {
  private s: Uint32Array;
  private spare: number | undefined;

  constructor(state: PrngState) {
    this.s = Uint32Array.from(state);
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) throw new RangeError('PRNG state must not be all zero');
  }

  /** A generator keyed by integers, see {@link deriveState}. */
  static fromKey(...key: number[]): Prng {
    return new Prng(deriveState(...key));
  }

  /** Current state; a new Prng built from it continues the same stream. */
  getState(): PrngState {
    // A cached Box–Muller spare would be lost on restore, so it is dropped to keep replay exact.
    this.spare = undefined;
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Uniform uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller, both outputs used). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with N(0, std²) draws. */
  fillNormal(out: Float32Array, std = 1, offset = 0, length = out.length - offset): Float32Array {
    for (let i = offset; i < offset + length; i++) out[i] = this.normal() * std;
    return out;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
