import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';

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

export function cpuStore(backend: CpuBackendLike): TensorStore {
  return {
    backendName: 'cpu',
    ref(t) {
      const values = backend.data.get(t.dataId)?.values;
      if (!ArrayBuffer.isView(values)) throw new Error('awn kernels-blas: tensor is not on the cpu backend');
      return [values, 0];
    },
    output(shape, fill) {
      const values = new Float32Array(sizeOf(shape));
      if (values.length > 0) fill(values, 0);
      return backend.makeTensorInfo(shape, 'float32', values);
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
