import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { BufferPool, poolCapBytes } from './pool.js';

/** The two tfjs backends whose tensors the addon can address. */
export type NativeBackendName = 'wasm' | 'cpu';

/**
 * Where a backend keeps tensor data, as the addon needs it: every operand is a typed array plus
 * the byte offset of the tensor's first element in it (src/native/glue.h). The wasm backend has one
 * heap for all tensors (bounded by wasm's 4 GiB); the cpu backend gives each tensor its own
 * ArrayBuffer (bounded only by the machine's memory).
 */
export interface TensorStore {
  readonly backendName: NativeBackendName;
  /**
   * The array holding t's data and the byte offset of its first element. On wasm the array is a
   * view of the heap, which allocating an output can replace: call this only inside `output`'s fill.
   */
  ref(t: TensorInfo): [ArrayBufferView, number];
  /** A new float32 tensor of `shape`, filled by `fill(array, byteOffset)`; freed again if fill throws. */
  output(shape: number[], fill: (y: ArrayBufferView, yOff: number) => void): TensorInfo;
  /** An output sharing x's data by reference count (tensors are immutable). */
  share(x: TensorInfo): TensorInfo;
  /** Frees a tensor this kernel made and does not return. */
  dispose(t: TensorInfo): void;
}

/**
 * The parts of tfjs-backend-wasm's BackendWasm the kernels touch. Declared structurally because the
 * package's own typings reach into emscripten module types that are not published.
 */
export interface WasmBackendLike {
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
  wasm: { HEAPU8: Uint8Array };
}

/** The parts of tfjs-backend-cpu's MathBackendCPU the kernels touch. */
export interface CpuBackendLike {
  data: { get(dataId: DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
  readSync(dataId: DataId): unknown;
  read(dataId: DataId): Promise<unknown>;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function wasmStore(backend: WasmBackendLike): TensorStore {
  return {
    backendName: 'wasm',
    ref(t) {
      const data = backend.dataIdMap.get(t.dataId);
      if (!data) throw new Error('awn kernels-blas: tensor is not on the wasm backend');
      return [backend.wasm.HEAPU8, data.memoryOffset];
    },
    output(shape, fill) {
      const out = backend.makeOutput(shape, 'float32');
      if (sizeOf(shape) === 0) return out;
      try {
        const data = backend.dataIdMap.get(out.dataId)!;
        fill(backend.wasm.HEAPU8, data.memoryOffset);
      } catch (err) {
        backend.disposeData(out.dataId, true);
        throw err;
      }
      return out;
    },
    share(x) {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
    },
    dispose(t) {
      backend.disposeData(t.dataId, true);
    },
  };
}

/** The cpu backend's store, with the pool of {@link poolOf}. */
export interface CpuTensorStore extends TensorStore {
  readonly pool: BufferPool;
  /** t's data was handed to code other than the native kernels: never reuse it. */
  escape(t: TensorInfo): void;
}

/**
 * The cpu backend's store. Outputs come from a {@link BufferPool}; the backend's disposeData hands
 * released buffers back to it, and its readSync/read mark what they return as escaped.
 */
export function cpuStore(backend: CpuBackendLike): CpuTensorStore {
  const pool = new BufferPool(poolCapBytes());
  const values = (dataId: DataId): unknown => backend.data.get(dataId)?.values;
  const { disposeData, readSync, read } = backend;
  backend.disposeData = function (dataId, force) {
    const v = values(dataId);
    const released = disposeData.call(this, dataId, force);
    if (released) pool.release(v);
    return released;
  };
  backend.readSync = function (dataId) {
    pool.escape(values(dataId));
    return readSync.call(this, dataId);
  };
  backend.read = function (dataId) {
    pool.escape(values(dataId));
    return read.call(this, dataId);
  };
  return {
    backendName: 'cpu',
    pool,
    escape(t) {
      pool.escape(values(t.dataId));
    },
    ref(t) {
      const v = values(t.dataId);
      if (!ArrayBuffer.isView(v)) throw new Error('awn kernels-blas: tensor is not on the cpu backend');
      // The cpu backend casts without copying when no precision is lost, so a float32 tensor may
      // hold an Int32Array or Uint8Array (int32 or bool cast up), an int32 one a Uint8Array: the
      // addon needs the element type the dtype says.
      const want = t.dtype === 'int32' ? Int32Array : Float32Array;
      if (v instanceof want) return [v, 0];
      return [want.from(v as unknown as ArrayLike<number>), 0];
    },
    output(shape, fill) {
      const size = sizeOf(shape);
      const v = size > 0 ? pool.take(size) : new Float32Array(0);
      try {
        if (size > 0) fill(v, 0);
      } catch (err) {
        pool.release(v);
        throw err;
      }
      return backend.makeTensorInfo(shape, 'float32', v);
    },
    share(x) {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
    },
    dispose(t) {
      backend.disposeData(t.dataId, true);
    },
  };
}

/** The store of the backend a kernel runs on, created once per backend instance. */
const stores = new WeakMap<object, TensorStore>();
export function storeOf(name: NativeBackendName, backend: unknown): TensorStore {
  let s = stores.get(backend as object);
  if (!s) {
    s = name === 'wasm' ? wasmStore(backend as WasmBackendLike) : cpuStore(backend as CpuBackendLike);
    stores.set(backend as object, s);
  }
  return s;
}
