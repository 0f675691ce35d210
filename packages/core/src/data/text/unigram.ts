/**
 * Entropy in bits of the byte frequencies of `bytes`: the loss of the best model that ignores
 * context, so a language model is only learning something once it goes clearly below it.
 */
export function unigramEntropyBits(bytes: Uint8Array): number {
  if (bytes.length === 0) throw new RangeError('unigramEntropyBits: empty input');
  const counts = new Float64Array(256);
  for (const b of bytes) counts[b]++;
  let h = 0;
  for (const c of counts) {
    if (c > 0) {
      const p = c / bytes.length;
      h -= p * Math.log2(p);
    }
  }
  return h;
}
