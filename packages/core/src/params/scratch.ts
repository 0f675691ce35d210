/**
 * Float32 buffers reused step after step (the flat gradient, a narrowed layer's packed upload, a
 * worker's all-reduce bucket): a fresh array of the model's size per step was garbage whose
 * collections landed in the all-reduce (bench/README.md, "Scaling"). They grow with headroom so a
 * model that widens a few neurons at a time does not reallocate at every width change.
 */
export const SCRATCH_HEADROOM = 1.25;

/** `current` when it holds at least `length` floats, else a new buffer of `length` plus headroom. */
export function reusedBuffer(current: Float32Array | undefined, length: number): Float32Array {
  return current !== undefined && current.length >= length
    ? current
    : new Float32Array(Math.ceil(length * SCRATCH_HEADROOM));
}
