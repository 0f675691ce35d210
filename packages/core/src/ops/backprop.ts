import * as tf from '@tensorflow/tfjs-core';

/** One node of tfjs's gradient tape (tfjs-core engine.addTapeNode). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

/** The tfjs engine internals a training framework's backward pass needs. */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
}

/**
 * `tf.valueAndGrads(f)(xs)` with the memory behaviour of a training framework: tfjs keeps every
 * tensor saved for the backward pass and every intermediate gradient until the whole backward pass
 * ends, so its peak holds both at once. Here each tape node's saved tensors and its outputs'
 * gradients are released as soon as that node's gradient is computed, and everything a node's
 * gradient function allocates besides its results is released with it.
 *
 * Same tape, same gradient functions, same results as tfjs (the nodes run in the same order). Used
 * for training steps; nested inside another gradient computation it defers to tfjs's own.
 */
export function valueAndGradsLean(
  f: (...args: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
): { value: tf.Scalar; grads: tf.Tensor[] } {
  const engine = tf.engine() as unknown as EngineInternals;
  // Recording a tape (a gradient of a gradient): tfjs's own handles the nesting.
  if (engine.state.gradientDepth !== 0) return tf.valueAndGrads(f)(xs);
  // Called from a gradient function during tfjs's own backward pass (a recomputed block): that
  // tape is only being read, so it is set aside while this one is recorded, and put back.
  const outer = engine.state.activeTape;
  engine.state.activeTape = null;
  let tape: TapeNode[] = [];
  try {
    const y = engine.scopedRun(
      () => engine.startTape(),
      () => engine.endTape(),
      () => engine.tidy('forward', () => f(...xs)),
    );
    tape = engine.state.activeTape ?? [];
    engine.state.activeTape = outer;
    if (!(y instanceof tf.Tensor)) throw new Error('valueAndGradsLean: f must return a tensor');
    const grads = tf.tidy(() => backward(tape, xs, y));
    return { value: y, grads };
  } finally {
    engine.state.activeTape = outer;
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
  }
}

/** Walks the tape backwards from y, freeing what no later node needs. Returns one gradient per x. */
function backward(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): tf.Tensor[] {
  // Forward reachability: only tensors computed from an x carry a gradient worth computing.
  const fromX = new Set<number>(xs.map((x) => x.id));
  const relevant: TapeNode[] = [];
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => t && fromX.has(t.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      relevant.push(node);
    }
  }
  const wanted = new Set<number>(xs.map((x) => x.id));
  const grad = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
  for (let i = relevant.length - 1; i >= 0; i--) {
    const node = relevant[i];
    const dys = node.outputs.map((o) => grad.get(o.id) ?? null);
    if (dys.every((d) => d === null)) continue; // does not lead to y
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const names = Object.keys(node.inputs).filter((n) => node.inputs[n] && fromX.has(node.inputs[n].id));
    // One scope per node: whatever the gradient function makes besides the input gradients dies here.
    const dxs = tf.tidy(() => {
      const gradients = node.gradient!(dys);
      return names.map((n) => {
        if (!(n in gradients)) throw new Error(`Cannot backprop through input ${n} of ${node.kernelName}.`);
        return gradients[n]();
      });
    });
    names.forEach((n, k) => {
      const x = node.inputs[n];
      const dx = dxs[k];
      if (dx.dtype !== 'float32')
        throw new Error(
          `Error in gradient for op ${node.kernelName}: the gradient of input ${n} must be float32, got ${dx.dtype}`,
        );
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `Error in gradient for op ${node.kernelName}: the gradient of input '${n}' has shape [${dx.shape}], not [${x.shape}]`,
        );
      }
      const current = grad.get(x.id);
      if (current) {
        grad.set(x.id, tf.add(current, dx));
        current.dispose();
        dx.dispose();
      } else {
        grad.set(x.id, dx);
      }
    });
    // This node was the last reader of its outputs' gradients and of its saved tensors.
    for (const o of node.outputs) {
      const g = grad.get(o.id);
      if (!g || wanted.has(o.id)) continue;
      grad.delete(o.id);
      if (![...grad.values()].includes(g)) g.dispose();
    }
    for (const t of node.saved ?? []) t.dispose();
  }
  // An x that does not influence y has a zero gradient.
  return xs.map((x) => grad.get(x.id) ?? tf.zerosLike(x));
}
