import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The native binding (src/native/addon.c). */
export interface BlasAddon {
  /** C = alpha * op(A) op(B) + beta * C on dense row-major Float32Arrays. */
  sgemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, b: Float32Array, beta: number, c: Float32Array,
  ): void;
  /**
   * The same product on the wasm heap, addressed by byte offsets; `batch` holds
   * [dim, aStride, bStride] triples (strides in elements), `biasOff` < 0 means no bias, activation
   * 0 linear, 1 relu, 2 relu6.
   */
  matmulHeap(
    heap: Uint8Array, aOff: number, bOff: number, cOff: number, transA: boolean, transB: boolean,
    m: number, n: number, k: number, batch: Float64Array | null, biasOff: number, biasLen: number,
    activation: number,
  ): void;
  /** y = transpose(x, perm) on the heap; desc = [shape..., perm...]. */
  transposeHeap(heap: Uint8Array, xOff: number, yOff: number, desc: Float64Array, rank: number): void;
  /** Strided copy: desc = [dims..., xStrides..., yStrides...] in elements; offsets in bytes. */
  copyStridedHeap(heap: Uint8Array, xOff: number, yOff: number, desc: Float64Array, rank: number): void;
  /** y = a op b (0 add, 1 sub, 2 mul, 3 div) broadcast; desc = [outShape..., aStrides..., bStrides...]. */
  binaryHeap(
    heap: Uint8Array, op: number, aOff: number, bOff: number, yOff: number, desc: Float64Array, rank: number,
  ): void;
  /** y[o, i] = Σ_r x[o, r, i] for dense x [outer, r, inner]. */
  sumHeap(heap: Uint8Array, xOff: number, yOff: number, outer: number, r: number, inner: number): void;
  /** Row-wise softmax of dense x [rows, cols]. */
  softmaxHeap(heap: Uint8Array, xOff: number, yOff: number, rows: number, cols: number): void;
  /** y = exp(x) over `count` floats. */
  expHeap(heap: Uint8Array, xOff: number, yOff: number, count: number): void;
  /** y[o, i, :] = x[o, idx[i], :] for x dense [outer, n, inner], int32 indices; throws on a bad index. */
  gatherHeap(
    heap: Uint8Array, xOff: number, idxOff: number, yOff: number, outer: number, n: number, inner: number,
    count: number,
  ): void;
  info(): { corename: string; config: string; threads: number };
  setThreads(n: number): number;
}

export type AddonLoad = { addon: BlasAddon; path: string } | { addon: null; reason: string };

/** Where node-gyp puts the addon; AWN_BLAS_ADDON_PATH overrides it (prebuilt copies, tests). */
export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWN_BLAS_ADDON_PATH || fileURLToPath(new URL('../build/Release/awn_blas.node', import.meta.url));
}

let cached: AddonLoad | undefined;

/**
 * Loads the addon once. Never throws: a missing file or a missing libopenblas (the dynamic loader
 * refuses the addon) comes back as a reason. Call only after prepareBlasEnvironment().
 */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    cached = {
      addon: null,
      reason: `addon not built (${path} missing): install libopenblas-dev, then run ` +
        '`npm run build:addon -w @awn/kernels-blas`',
    };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as BlasAddon;
    cached = { addon, path };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    cached = {
      addon: null,
      reason: /openblas/i.test(message)
        ? `libopenblas not loadable (install libopenblas0 / libopenblas-dev): ${message}`
        : `addon failed to load: ${message}`,
    };
  }
  return cached;
}
