import * as tf from '@tensorflow/tfjs-core';

/** What the wasm backend offers for reading a tensor in place (tfjs-backend-wasm's BackendWasm). */
interface HeapBackend {
  typedArrayFromHeap(info: { shape: number[]; dtype: tf.DataType; dataId: object }): ArrayBufferView;
}

function isHeapBackend(backend: unknown): backend is HeapBackend {
  return typeof (backend as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

/** What the cpu backend keeps per tensor (tfjs-backend-cpu's MathBackendCPU.data). */
interface ArrayBackend {
  data: { get(dataId: object): { values?: unknown } | undefined };
}

/** The cpu backend's own array of `t`, when it holds exactly t's float32 values. */
function cpuValues(t: tf.Tensor): Float32Array | undefined {
  const data = (tf.backend() as unknown as Partial<ArrayBackend>).data;
  const values = typeof data?.get === 'function' ? data.get(t.dataId)?.values : undefined;
  return values instanceof Float32Array && values.length === t.size ? values : undefined;
}

/**
 * Copies a float32 tensor's values into `dest` at `offset`. `dataSync()` on wasm returns a fresh
 * slice of the heap, so reading a model's gradient allocated its size again every step; in a
 * worker that garbage forced a full collection about once a step (10-20 ms each at an 88 MB heap,
 * bench/README.md "Scaling"). On wasm this reads a view of the heap instead. On cpu it reads the
 * backend's own array rather than through dataSync: dataSync hands that array out, so the cpu output
 * pool of @awn/kernels-blas must assume it is kept and never reuses it; a copy taken here leaves
 * the buffer to the pool, which lets a step's parameter gradients share a few buffers instead of
 * allocating the model's size anew (bench/README.md, "Engine"). Other backends copy as they must.
 */
export function readInto(t: tf.Tensor, dest: Float32Array, offset: number): void {
  if (t.dtype !== 'float32') throw new TypeError(`readInto takes float32 tensors, got ${t.dtype}`);
  if (offset < 0 || offset + t.size > dest.length)
    throw new RangeError(`readInto: ${t.size} values at ${offset} overflow a buffer of ${dest.length}`);
  const name = tf.getBackend();
  const backend = name === 'wasm' ? tf.backend() : undefined;
  const view =
    backend !== undefined && isHeapBackend(backend)
      ? (backend.typedArrayFromHeap({ shape: t.shape, dtype: t.dtype, dataId: t.dataId }) as Float32Array)
      : ((name === 'cpu' ? cpuValues(t) : undefined) ?? (t.dataSync() as Float32Array));
  dest.set(view, offset);
}
