import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from './parameter.js';
import { reusedBuffer } from './scratch.js';

/** The tensors of one forward/backward pass, keyed by parameter name. */
export type ParamTensors = ReadonlyMap<string, tf.Tensor>;

/**
 * Uploads the active block of every parameter as a tensor (caller disposes before the parameters
 * change). A block that is a contiguous prefix of its capacity buffer (full rows: every parameter
 * but a narrowed adaptive layer's) goes as a view of the host buffer, not a copy: the wasm backend
 * copies it into its heap anyway, and the cpu backend then reads the host memory directly, which
 * saves a copy of the model per pass (0.4 GB at 100M parameters).
 */
export function uploadParameters(params: readonly Parameter[]): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const p of params) {
    const { values, stride, rows, cols } = p.buffers();
    const data = cols === stride ? values.subarray(0, rows * cols) : p.read(packedScratch(p));
    out.set(p.name, tf.tensor(data, p.shape, 'float32'));
  }
  return out;
}

/**
 * A narrowed layer's packed copy, one buffer per parameter reused every pass: a fresh copy per
 * step (the active block of every adaptive up-projection) was garbage whose collections landed in
 * the all-reduce, where the peer waits (bench/README.md, "Scaling"). Reuse is safe because the
 * pass's tensors are disposed before the next upload overwrites it, and the cpu output pool of
 * @awn/kernels-blas only recycles buffers it allocated itself.
 */
const packed = new WeakMap<Parameter, Float32Array>();

function packedScratch(p: Parameter): Float32Array {
  const buffer = reusedBuffer(packed.get(p), p.size);
  packed.set(p, buffer);
  return buffer.subarray(0, p.size);
}

/** Looks a tensor up, failing loudly on a name the model does not have. */
export function paramTensor<T extends tf.Tensor = tf.Tensor>(tensors: ParamTensors, name: string): T {
  const t = tensors.get(name);
  if (!t) throw new Error(`no tensor for parameter '${name}'`);
  return t as T;
}

/** Disposes every tensor of a pass. */
export function disposeParameters(tensors: ParamTensors): void {
  for (const t of tensors.values()) t.dispose();
}
