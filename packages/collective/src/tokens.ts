import type { TokenPurpose } from '@awn/protocol';
import { CollectiveError } from './errors.js';
import type { RingContext } from './ring-context.js';

/**
 * Every rank injects a token and forwards the others' until it has seen all N-1 of them. A rank
 * holding every token knows every rank has reached this point, and (each rank injecting only
 * after its last receive) that every message sent before it has been received: buffers handed to
 * zero-copy sends may be reused. The token of rank r+1 completes the circle at r, which keeps it.
 */
export async function tokenRound(ring: RingContext, purpose: TokenPurpose): Promise<void> {
  const { rank, worldSize } = ring;
  ring.send('ring-token', { step: ring.step, opSeq: ring.opSeq, purpose, origin: rank });
  const seen = new Set<number>();
  while (seen.size < worldSize - 1) {
    const { message } = await ring.expect('ring-token', { purpose });
    const origin = message.origin;
    if (origin === rank || origin >= worldSize || seen.has(origin)) {
      throw new CollectiveError(
        'mismatch',
        `${purpose} #${ring.opSeq}: rank ${rank} received an impossible token from rank ${origin} via rank ${ring.predecessor}`,
        [ring.predecessor, rank],
      );
    }
    seen.add(origin);
    if (origin !== ring.successor) ring.send('ring-token', { step: ring.step, opSeq: ring.opSeq, purpose, origin });
  }
}
