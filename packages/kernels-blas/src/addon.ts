import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { HostKernels } from './host-kernels.js';

/** n operands, each as (typed array, byte offset of its first element). */
type Operands<N extends number, Acc extends unknown[] = [], C extends unknown[] = []> = C['length'] extends N
  ? Acc
  : Operands<N, [...Acc, ArrayBufferView, number], [...C, 0]>;

/** The native binding (src/native/addon.c); its host kernels (Adam, Σ g²) are documented in host-kernels.ts. */
export interface BlasAddon extends HostKernels {
  /** C = alpha * op(A) op(B) + beta * C on dense row-major Float32Arrays. */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    b: Float32Array,
    beta: number,
    c: Float32Array,
  ): void;
  /*
   * The kernels below take every operand as (typed array, byte offset of its first element): the
   * wasm heap and a tensor's offset in it, or a cpu tensor's own array and 0 (src/native/glue.h).
   */
  /**
   * Batched product; `batch` holds [dim, aStride, bStride] triples (strides in elements), `bias`
   * null for none, activation 0 linear, 1 relu, 2 relu6.
   */
  matmul(
    a: ArrayBufferView,
    aOff: number,
    b: ArrayBufferView,
    bOff: number,
    c: ArrayBufferView,
    cOff: number,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    batch: Float64Array | null,
    bias: ArrayBufferView | null,
    biasOff: number,
    biasLen: number,
    activation: number,
  ): void;
  /** y = transpose(x, perm); desc = [shape..., perm...]. */
  transpose(x: ArrayBufferView, xOff: number, y: ArrayBufferView, yOff: number, desc: Float64Array, rank: number): void;
  /** Strided copy: desc = [dims..., xStrides..., yStrides...] in elements. */
  copyStrided(
    x: ArrayBufferView,
    xOff: number,
    y: ArrayBufferView,
    yOff: number,
    desc: Float64Array,
    rank: number,
  ): void;
  /** y = a op b (src/native/ops.h awn_binary_op) broadcast; desc = [outShape..., aStrides..., bStrides...]. */
  binary(
    op: number,
    a: ArrayBufferView,
    aOff: number,
    b: ArrayBufferView,
    bOff: number,
    y: ArrayBufferView,
    yOff: number,
    desc: Float64Array,
    rank: number,
  ): void;
  /** y[o, i] = scale · Σ_r x[o, r, i] for dense x [outer, r, inner] (scale default 1). */
  sum(
    x: ArrayBufferView,
    xOff: number,
    y: ArrayBufferView,
    yOff: number,
    outer: number,
    r: number,
    inner: number,
    scale?: number,
  ): void;
  /** Row-wise over dense x [rows, cols]: kind 0 softmax (y [rows, cols]), 1 maximum (y [rows]). */
  rowwise(
    kind: number,
    x: ArrayBufferView,
    xOff: number,
    y: ArrayBufferView,
    yOff: number,
    rows: number,
    cols: number,
  ): void;
  /** y = op(x) over `count` floats (src/native/ops.h awn_unary_op). */
  unary(op: number, x: ArrayBufferView, xOff: number, y: ArrayBufferView, yOff: number, count: number): void;
  /** y[o, i, :] = x[o, idx[i], :] for x dense [outer, n, inner], int32 indices; throws on a bad index. */
  gather(
    x: ArrayBufferView,
    xOff: number,
    idx: ArrayBufferView,
    idxOff: number,
    y: ArrayBufferView,
    yOff: number,
    outer: number,
    n: number,
    inner: number,
    count: number,
  ): void;
  /** Fused LayerNorm forward over the last axis (src/native/fused.h); operands as (array, byte offset). */
  layerNorm(...args: [...Operands<6>, rows: number, d: number, eps: number]): void;
  /** Its backward: dy, xhat, rstd, gamma → dx, dgamma, dbeta. */
  layerNormGrad(...args: [...Operands<7>, rows: number, d: number]): void;
  /** Causal softmax of x [batch, t, t] into y. */
  causalSoftmax(...args: [...Operands<2>, batch: number, t: number]): void;
  /** Softmax backward y, dy → dx over rows of `cols`; causalT > 0: causal rows of awn_causal_softmax. */
  softmaxGrad(...args: [...Operands<3>, rows: number, cols: number, causalT: number]): void;
  /** Softmax cross-entropy: logits, int32 labels → p, loss. */
  softmaxXent(...args: [...Operands<4>, rows: number, v: number]): void;
  /** Its backward: p, labels, dloss → dlogits. */
  softmaxXentGrad(...args: [...Operands<4>, rows: number, v: number]): void;
  /** Adaptive FFN activation: z, bias, f → y = relu(z + bias) · f, a = relu(z + bias). */
  biasReluScale(...args: [...Operands<5>, n: number, w: number]): void;
  /** Its backward: dy, a, f → dz, dbias, df (Σ dy · a). */
  biasReluScaleGrad(...args: [...Operands<6>, n: number, w: number]): void;
  /** Embedding gradient: dy [n, d], int32 ids [n] → dtable [vocab, d]; throws on an id outside [0, vocab). */
  embeddingGrad(...args: [...Operands<3>, n: number, d: number, vocab: number]): void;
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
      reason:
        `addon not built (${path} missing): install libopenblas-dev, then run ` +
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
