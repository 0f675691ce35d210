import { createHmac, timingSafeEqual } from 'node:crypto';

/** Shared secret for message authentication. */
export type Secret = string | Uint8Array;

export const SIGNATURE_BYTES = 32;

export function checkSecret(secret: Secret): void {
  if ((typeof secret === 'string' ? Buffer.byteLength(secret) : secret.byteLength) === 0) {
    throw new RangeError('the shared secret must not be empty');
  }
}

/**
 * HMAC-SHA256 over every frame, each prefixed with its 8-byte length so that moving bytes across
 * a frame boundary changes the tag.
 */
export function signFrames(secret: Secret, frames: readonly Uint8Array[]): Buffer {
  const hmac = createHmac('sha256', secret);
  const length = Buffer.alloc(8);
  for (const frame of frames) {
    length.writeBigUInt64LE(BigInt(frame.byteLength));
    hmac.update(length);
    hmac.update(frame);
  }
  return hmac.digest();
}

export function verifyFrames(secret: Secret, frames: readonly Uint8Array[], tag: Uint8Array): boolean {
  if (tag.byteLength !== SIGNATURE_BYTES) return false;
  return timingSafeEqual(signFrames(secret, frames), tag);
}
