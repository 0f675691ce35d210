import { createDistribution } from '../distributions/index.js';
import type { RunConfig } from '../experiment/config-schema.js';

/** What one training process needs, in bytes (see {@link estimateTrainingMemory}). */
export interface MemoryEstimate {
  /** Active trainable parameters. */
  parameters: number;
  /** Host copies of the parameters, adaptive layers at their capacity (Parameter buffers). */
  parameterBytes: number;
  /** Optimizer state beside them (Adam: two moments per entry; SGD with momentum: one). */
  optimizerBytes: number;
  /** Per step: the parameter tensors uploaded for the pass, their gradients and the flat gradient. */
  stepBytes: number;
  /** Activations of one batch kept for the backward pass, plus the working set of one block's backward. */
  activationBytes: number;
  /** Node.js, tfjs and the data set. */
  runtimeBytes: number;
  /** The sum: what the process's resident memory peaks at. */
  peakBytes: number;
  /** What must fit in the tensor engine at once (the wasm backend holds at most 4 GiB). */
  engineBytes: number;
}

/** The largest heap the wasm backend can address. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
const FLOAT = 4;
/** Resident memory of a process that has loaded tfjs and a data set, before any model. */
const RUNTIME_BYTES = 350 * 2 ** 20;
/**
 * Floats kept per token and block for the backward pass, as multiples of d_model, the FFN width and
 * heads × context (attention scores). Counted from the tape of a step (every kernel saves its inputs
 * or outputs: LayerNorm's pieces, q/k/v and their head layouts, the FFN's pre-activation, relu and
 * importance-scaled copies) and checked against measured peaks (packages/kernels-blas/README.md).
 */
const SAVED_PER_D = 30;
const SAVED_PER_WIDTH = 5;
const SAVED_PER_SCORE = 4;

/** Input and output sizes of the MLP data sets (text data sets have no MLP). */
const MLP_DIMS: Record<string, [number, number]> = {
  doublemoon: [2, 2],
  spiral: [2, 2],
  spiralhard: [2, 2],
  mnist: [784, 10],
};

function slotsPerEntry(config: RunConfig): number {
  const o = config.training.optimizer as { type: string; momentum?: number };
  if (o.type === 'adam') return 2;
  return o.momentum ? 1 : 0;
}

/** Initial width of an adaptive layer from its rate, as AdaptiveDense computes it. */
function initialWidth(m: {
  initialRate: number;
  maxWidth: number;
  distribution: RunConfig['model']['distribution'];
}): number {
  const d = createDistribution(m.distribution);
  return Math.max(1, Math.min(m.maxWidth, d.width(d.raw(m.initialRate))));
}

/**
 * Memory a single training process needs for `config`, computed from the config alone (no model is
 * built, so an impossible model is refused before it allocates anything). Widths are the initial
 * ones: a run whose widths grow needs more later (up to maxWidth), one that shrinks less.
 * `dims` gives an MLP's input and output sizes for data sets not in the built-in table.
 */
export function estimateTrainingMemory(
  config: RunConfig,
  dims?: { inputDim: number; outputDim: number },
): MemoryEstimate {
  const m = config.model;
  const batch = config.training.batchSize;
  let parameters = 0;
  let capacity = 0;
  let activationFloats = 0;
  if (m.type === 'transformer') {
    const d = m.dModel;
    const vocab = 256;
    const tokens = batch * (config.data.sequenceLength ?? m.context);
    const widths = m.adaptive ? Array.from({ length: m.blocks }, () => initialWidth(m)) : (m.ffnWidths ?? []);
    const fixed = vocab * d + m.context * d + 2 * d + vocab + (m.tiedEmbeddings ? 0 : d * vocab);
    parameters = fixed;
    capacity = fixed;
    for (const w of widths) {
      const block = 4 * d + 3 * d * d + 3 * d + d * d + d + d; // LayerNorms, qkv, out, down bias
      const ffn = 2 * d * w + w + (m.adaptive ? 1 : 0);
      parameters += block + ffn;
      capacity += block + (m.adaptive ? Math.ceil(w * m.capacityFactor) * (2 * d + 1) + 1 : ffn);
    }
    const seq = config.data.sequenceLength ?? m.context;
    // With recompute a block keeps only its input; its activations exist during its own backward.
    const perToken = m.recompute
      ? widths.length * d
      : widths.reduce((s, w) => s + SAVED_PER_D * d + SAVED_PER_WIDTH * w + SAVED_PER_SCORE * m.heads * seq, 0);
    // Logits, their log-softmax and one-hot targets; then one block's backward working set.
    const maxWidth = Math.max(...widths, 1);
    activationFloats =
      tokens * (perToken + 4 * vocab) +
      tokens * (SAVED_PER_D * d + SAVED_PER_WIDTH * maxWidth + SAVED_PER_SCORE * m.heads * seq);
  } else {
    const [inputDim, outputDim] = dims ? [dims.inputDim, dims.outputDim] : (MLP_DIMS[config.data.dataset] ?? [0, 0]);
    const widths = m.adaptive ? Array.from({ length: m.hiddenLayers }, () => initialWidth(m)) : (m.widths ?? []);
    let fanIn = inputDim;
    for (const w of widths) {
      parameters += fanIn * w + w + (m.adaptive ? 1 : 0);
      capacity +=
        (m.adaptive ? Math.ceil(fanIn * m.capacityFactor) : fanIn) *
          Math.ceil(w * (m.adaptive ? m.capacityFactor : 1)) +
        w +
        1;
      activationFloats += batch * w * 6;
      fanIn = w;
    }
    parameters += fanIn * outputDim + outputDim;
    capacity += Math.ceil(fanIn * (m.adaptive ? m.capacityFactor : 1)) * outputDim + outputDim;
    activationFloats += batch * (inputDim + 4 * outputDim);
  }
  const parameterBytes = capacity * FLOAT;
  const optimizerBytes = slotsPerEntry(config) * capacity * FLOAT;
  const stepBytes = 3 * parameters * FLOAT;
  const activationBytes = activationFloats * FLOAT;
  const engineBytes = 2 * parameters * FLOAT + activationBytes;
  return {
    parameters,
    parameterBytes,
    optimizerBytes,
    stepBytes,
    activationBytes,
    runtimeBytes: RUNTIME_BYTES,
    peakBytes: parameterBytes + optimizerBytes + stepBytes + activationBytes + RUNTIME_BYTES,
    engineBytes,
  };
}

/** Bytes as people read them (binary units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 2)} ${units[u]}`;
}

/** Parses a memory size: bytes, or a number with K/M/G/T (binary; an optional trailing B or iB). */
export function parseMemorySize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) throw new RangeError(`not a memory size: '${text}' (examples: 16G, 512M, 2000000000)`);
  const power = ['', 'k', 'm', 'g', 't'].indexOf(match[2].toLowerCase());
  return Math.floor(Number(match[1]) * 1024 ** power);
}
