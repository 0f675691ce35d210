/**
 * Native kernels over host buffers that the optimizers use when @awn/kernels-blas is loaded
 * (its `hostKernels()`; `selectBackend` installs them). Without them the optimizers run their
 * JavaScript loops, with the same update. This is core's side of the contract: the addon is an
 * optional dependency, so core cannot import its types; kernels-blas's HostKernels has this shape.
 */
export interface HostKernels {
  /** Adam on one parameter's block (packages/kernels-blas/src/host-kernels.ts documents the arguments). */
  adam(
    values: Float32Array,
    m: Float32Array,
    v: Float32Array,
    grad: Float32Array,
    gradOffset: number,
    rows: number,
    cols: number,
    stride: number,
    scale: number,
    beta1: number,
    beta2: number,
    step: number,
    eps: number,
  ): void;
  /** Σ g², NaN when some value is not finite. */
  sumSquares(grad: Float32Array): number;
}

let installed: HostKernels | undefined;

/** Installs (or, with undefined, removes) the native host kernels. */
export function setHostKernels(kernels: HostKernels | undefined): void {
  installed = kernels;
}

/** The native host kernels in effect, if any. */
export function hostKernels(): HostKernels | undefined {
  return installed;
}
