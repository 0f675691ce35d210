import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Shared secret for message authentication. */
export type Secret = string | Uint8Array;

export const SIGNATURE_BYTES = 32;
/** Signed trailer before the tag: sender's clock (u64 ms since the epoch) and a 16-byte nonce. */
export const TRAILER_BYTES = 24;
/**
 * How far a signed message's timestamp may be from the receiver's clock (ms). Outside it the
 * message counts as replayed; inside it each nonce is accepted once. Machines of one cluster must
 * keep their clocks within this of each other (NTP does).
 */
export const REPLAY_WINDOW_MS = 120_000;

export function checkSecret(secret: Secret): void {
  if ((typeof secret === 'string' ? Buffer.byteLength(secret) : secret.byteLength) === 0) {
    throw new RangeError('the shared secret must not be empty');
  }
}

/**
 * The key that signs messages of run `runId`: HKDF-SHA256 of the shared secret with the run id as
 * salt. A message signed in one run does not verify in another, even under the same secret and
 * run id text reused by a later run with another secret. Joins, sent before a worker knows the
 * run, carry the run id '' (or the one the worker was started with) and use its key.
 */
export function deriveRunKey(secret: Secret, runId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.from(runId, 'utf8'), 'awn message key v1', 32));
}

/**
 * The ring password of run `runId` under ZAP PLAIN (cluster-settings.ts `ringAuth: 'plain'`):
 * derived like the message key, under another label, so it reveals nothing about that key.
 */
export function deriveRingPassword(secret: Secret, runId: string): string {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.from(runId, 'utf8'), 'awn ring password v1', 32)).toString(
    'base64url',
  );
}

/**
 * HMAC-SHA256 over every frame, each prefixed with its 8-byte length so that moving bytes across
 * a frame boundary changes the tag.
 */
export function signFrames(key: Secret, frames: readonly Uint8Array[]): Buffer {
  const hmac = createHmac('sha256', key);
  const length = Buffer.alloc(8);
  for (const frame of frames) {
    length.writeBigUInt64LE(BigInt(frame.byteLength));
    hmac.update(length);
    hmac.update(frame);
  }
  return hmac.digest();
}

export function verifyFrames(key: Secret, frames: readonly Uint8Array[], tag: Uint8Array): boolean {
  if (tag.byteLength !== SIGNATURE_BYTES) return false;
  return timingSafeEqual(signFrames(key, frames), tag);
}

/** Makes trailers: a random per-process prefix and a counter, so nonces never repeat. */
export class TrailerSource {
  private readonly prefix = randomBytes(8);
  private counter = 0n;

  next(now = Date.now()): Buffer {
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(now))), 0);
    this.prefix.copy(trailer, 8);
    trailer.writeBigUInt64LE(this.counter++, 16);
    return trailer;
  }
}

/**
 * Refuses signed messages seen before: a timestamp outside ±window of this clock, or a nonce
 * already accepted within the window. Only messages that verified are recorded, so a forger
 * cannot fill it; entries leave once older than the window, and the most recent `capacity` are
 * kept when legitimate traffic is faster than that.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    readonly windowMs = REPLAY_WINDOW_MS,
    // About 25 MB at most; beyond 2,000 messages per second for the whole window the oldest go.
    private readonly capacity = 1 << 18,
  ) {}

  /** Undefined when `trailer` is fresh (and records it), else why not. */
  admit(trailer: Uint8Array, now = Date.now()): string | undefined {
    if (trailer.byteLength !== TRAILER_BYTES) return `trailer of ${trailer.byteLength} bytes`;
    const view = Buffer.from(trailer.buffer, trailer.byteOffset, trailer.byteLength);
    const sentAt = Number(view.readBigUInt64LE(0));
    const skew = now - sentAt;
    if (Math.abs(skew) > this.windowMs)
      return `signed ${(skew / 1000).toFixed(0)} s ${skew > 0 ? 'ago' : 'ahead'} (window ±${this.windowMs / 1000} s): a replay, or the clocks disagree`;
    const nonce = view.toString('latin1', 8);
    if (this.seen.has(nonce)) return 'nonce already seen: a replay';
    this.expire(now);
    this.seen.set(nonce, sentAt);
    return undefined;
  }

  get size(): number {
    return this.seen.size;
  }

  private expire(now: number): void {
    // Insertion order is close to timestamp order (one clock per sender, small skews between senders).
    for (const [nonce, sentAt] of this.seen) {
      if (this.seen.size < this.capacity && now - sentAt <= this.windowMs) break;
      this.seen.delete(nonce);
    }
  }
}
