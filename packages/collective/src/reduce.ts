/**
 * The element-wise work of a ring all-reduce, one pass over each received chunk. Every formula is
 * evaluated in float64 and rounded to float32 once, when stored; each output element is computed
 * by exactly one rank (the others receive its bits), so all ranks end with identical results.
 *
 * The loops are unrolled by four: V8 does not vectorise, and the unrolled form runs about twice as
 * fast as the plain loop on the chunk sizes the ring uses (bench/allreduce.bench.mjs).
 */

/** target[i] = target[i] + incoming[i] (a plain sum: exact float32 addition). */
export function addInto(target: Float32Array, incoming: Float32Array): void {
  const n = target.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    target[i] = target[i]! + incoming[i]!;
    target[i + 1] = target[i + 1]! + incoming[i + 1]!;
    target[i + 2] = target[i + 2]! + incoming[i + 2]!;
    target[i + 3] = target[i + 3]! + incoming[i + 3]!;
  }
  for (; i < n; i++) target[i] = target[i]! + incoming[i]!;
}

/**
 * target[i] = (own · target[i] + other · incoming[i]) · scale: this rank's weighted contribution
 * folded into the sum (other = the sender's weight on its raw data, or 1 for an already weighted
 * partial sum) and, on the rank that completes a segment, the division by the total weight
 * (scale = 1 / Σw) folded into the same pass.
 */
export function weightedInto(
  target: Float32Array,
  own: number,
  incoming: Float32Array,
  other: number,
  scale: number,
): void {
  const n = target.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    target[i] = (own * target[i]! + other * incoming[i]!) * scale;
    target[i + 1] = (own * target[i + 1]! + other * incoming[i + 1]!) * scale;
    target[i + 2] = (own * target[i + 2]! + other * incoming[i + 2]!) * scale;
    target[i + 3] = (own * target[i + 3]! + other * incoming[i + 3]!) * scale;
  }
  for (; i < n; i++) target[i] = (own * target[i]! + other * incoming[i]!) * scale;
}
