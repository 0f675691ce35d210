import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from './parameter.js';

/** The tensors of one forward/backward pass, keyed by parameter name. */
export type ParamTensors = ReadonlyMap<string, tf.Tensor>;

/** Uploads the active block of every parameter as a tensor (caller disposes). */
export function uploadParameters(params: readonly Parameter[]): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const p of params) out.set(p.name, tf.tensor(p.read(), p.shape, 'float32'));
  return out;
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
