import * as tf from '@tensorflow/tfjs-core';

/** What the wasm backend offers for reading a tensor in place (tfjs-backend-wasm's BackendWasm). */
interface HeapBackend {
  typedArrayFromHeap(info: { shape: number[]; dtype: tf.DataType; dataId: object }): ArrayBufferView;
}

function isHeapBackend(backend: unknown): backend is HeapBackend {
  return typeof (backend as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/**
 * Copies a float32 tensor's values into `dest` at `offset`. `dataSync()` on wasm returns a fresh
 * slice of the heap, so reading a model's gradient allocated its size again every step; in a
 * worker that garbage forced a full collection about once a step (10-20 ms each at an 88 MB heap,
 * bench/README.md "Scaling"). On wasm this reads a view of the heap instead; the cpu backend's
 * dataSync already returns its own array, and other backends copy as they must.
 */
export function readInto(t: tf.Tensor, dest: Float32Array, offset: number): void {
  if (t.dtype !== 'float32') throw new TypeError(`readInto takes float32 tensors, got ${t.dtype}`);
  if (offset < 0 || offset + t.size > dest.length)
    throw new RangeError(`readInto: ${t.size} values at ${offset} overflow a buffer of ${dest.length}`);
  const backend = tf.getBackend() === 'wasm' ? tf.backend() : undefined;
  const view =
    backend !== undefined && isHeapBackend(backend)
      ? (backend.typedArrayFromHeap({ shape: t.shape, dtype: t.dtype, dataId: t.dataId }) as Float32Array)
      : (t.dataSync() as Float32Array);
  dest.set(view, offset);
}
