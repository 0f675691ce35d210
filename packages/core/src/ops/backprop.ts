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
  addTapeNode(
    kernelName: string,
    inputs: Record<string, tf.Tensor>,
    outputs: tf.Tensor[],
    gradientsFunc: unknown,
    saved: tf.Tensor[] | undefined,
    attrs: unknown,
  ): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
}

/**
 * Receives each x's gradient (by index into xs) as soon as it is final, and owns it (disposes it).
 * Handing gradients out as the backward pass goes lets a training step copy a parameter's gradient
 * into its flat buffer and release the tensor while later blocks are still being differentiated,
 * instead of holding every parameter's gradient (the model's size again) until the end.
 */
export type GradientSink = (index: number, gradient: tf.Tensor) => void;

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
  const grads: tf.Tensor[] = new Array(xs.length);
  const value = valueAndGradsStreamed(f, xs, (i, g) => {
    grads[i] = tf.keep(g);
  });
  return { value, grads };
}

/**
 * {@link valueAndGradsLean} handing each gradient to `sink` once it is final (every node that reads
 * that x has been differentiated) instead of returning them all at the end. Returns the value.
 */
export function valueAndGradsStreamed(
  f: (...args: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
  sink: GradientSink,
): tf.Scalar {
  const engine = tf.engine() as unknown as EngineInternals;
  // Recording a tape (a gradient of a gradient): tfjs's own handles the nesting.
  if (engine.state.gradientDepth !== 0) {
    const { value, grads } = tf.valueAndGrads(f)(xs);
    grads.forEach((g, i) => sink(i, g));
    return value;
  }
  // Called from a gradient function during tfjs's own backward pass (a recomputed block): that
  // tape is only being read, so it is set aside while this one is recorded, and put back.
  const outer = engine.state.activeTape;
  engine.state.activeTape = null;
  let tape: TapeNode[] = [];
  try {
    const y = recordReleasing(engine, xs, () =>
      engine.scopedRun(
        () => engine.startTape(),
        () => engine.endTape(),
        () => engine.tidy('forward', () => f(...xs)),
      ),
    );
    tape = engine.state.activeTape ?? [];
    engine.state.activeTape = outer;
    if (!(y instanceof tf.Tensor)) throw new Error('valueAndGradsStreamed: f must return a tensor');
    tf.tidy(() => backward(tape, xs, y, sink));
    return y as tf.Scalar;
  } finally {
    engine.state.activeTape = outer;
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
  }
}

/**
 * Runs the forward pass releasing, as each tape node is recorded, the saved tensors no gradient
 * will read: those of a node no x flows into (the mask, the targets' one-hot) and those of
 * {@link SHAPE_ONLY_GRADIENTS}. Released at record time, not after the forward, because they
 * would otherwise all be alive at its end, which is the step's peak.
 */
function recordReleasing<T>(engine: EngineInternals, xs: tf.Tensor[], run: () => T): T {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const own = Object.hasOwn(engine, 'addTapeNode') ? engine.addTapeNode : undefined;
  const addTapeNode = engine.addTapeNode;
  engine.addTapeNode = function (kernelName, inputs, outputs, gradientsFunc, saved, attrs) {
    addTapeNode.call(this, kernelName, inputs, outputs, gradientsFunc, saved, attrs);
    const flows = Object.values(inputs).some((t) => t && fromX.has(t.id));
    if (flows) for (const o of outputs) fromX.add(o.id);
    if (!flows || SHAPE_ONLY_GRADIENTS.has(kernelName)) for (const t of saved ?? []) t.dispose();
  };
  try {
    return run();
  } finally {
    if (own) engine.addTapeNode = own;
    else delete (engine as Partial<EngineInternals>).addTapeNode;
  }
}

/**
 * Kernels whose tfjs gradient reads only the shapes of the tensors it saves (tfjs-core's
 * gradients/*_grad.js: reshape back, sum over broadcast axes, split or pad to the input's shape).
 * Their saved tensors are released as the forward pass records them: a Reshape otherwise keeps
 * its input alive until the backward pass reaches it, e.g. the [tokens, FFN width] pre-activation
 * that nothing else needs (0.19 GiB over the 102.6M preset's 12 blocks, bench/README.md). A
 * disposed tensor keeps its shape, and a gradient that did read its values would throw, not
 * compute garbage.
 */
const SHAPE_ONLY_GRADIENTS = new Set(['Reshape', 'ExpandDims', 'Add', 'Sub', 'Sum', 'Mean', 'AddN', 'Concat', 'Slice']);

/** Walks the tape backwards from y, freeing what no later node needs; hands each x's gradient to sink. */
function backward(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor, sink: GradientSink): void {
  // Forward reachability: only tensors computed from an x carry a gradient worth computing.
  const fromX = new Set<number>(xs.map((x) => x.id));
  const relevant: TapeNode[] = [];
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => t && fromX.has(t.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      relevant.push(node);
    }
  }
  // How many nodes still have to contribute to each x's gradient; at 0 it is final.
  const xIndex = new Map<number, number>(xs.map((x, i) => [x.id, i]));
  const pending = new Map<number, number>();
  const readers = relevant.map(
    (node) => new Set(Object.values(node.inputs).flatMap((t) => (t && xIndex.has(t.id) ? [t.id] : []))),
  );
  for (const ids of readers) for (const id of ids) pending.set(id, (pending.get(id) ?? 0) + 1);
  const handed = new Set<number>();
  const handOff = (id: number) => {
    const g = grad.get(id);
    grad.delete(id);
    handed.add(id);
    sink(xIndex.get(id)!, g ?? tf.zerosLike(xs[xIndex.get(id)!]));
  };
  const grad = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
  for (let i = relevant.length - 1; i >= 0; i--) {
    const node = relevant[i];
    const dys = node.outputs.map((o) => grad.get(o.id) ?? null);
    if (!dys.every((d) => d === null)) accumulate(node, dys, fromX, grad);
    // This node was the last reader of its outputs' gradients and of its saved tensors.
    for (const o of node.outputs) {
      const g = grad.get(o.id);
      if (!g || xIndex.has(o.id)) continue;
      grad.delete(o.id);
      if (![...grad.values()].includes(g)) g.dispose();
    }
    for (const t of node.saved ?? []) t.dispose();
    for (const id of readers[i]) {
      const left = pending.get(id)! - 1;
      pending.set(id, left);
      if (left === 0) handOff(id);
    }
  }
  // An x that does not influence y (or is y itself) has not been handed out yet.
  for (const x of xs) if (!handed.has(x.id)) handOff(x.id);
}

/** Runs one node's gradient function and adds each input's share to `grad`. */
function accumulate(node: TapeNode, dys: (tf.Tensor | null)[], fromX: Set<number>, grad: Map<number, tf.Tensor>): void {
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
}
