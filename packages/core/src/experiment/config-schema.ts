import { z } from 'zod';
import { ACTIVATIONS } from '../ops/activation.js';
import { MLP_DEFAULTS, TRANSFORMER_DEFAULTS } from '../models/defaults.js';
import { BACKEND_NAMES } from '../backend/select-backend.js';
import { checkFileDataFields, fileDataFields } from './data-schema.js';

/**
 * The run configuration shared by `awn train`, the coordinator and every worker: one schema, so
 * a bad field is reported the same way wherever the config is read. Unknown fields are errors
 * (a typo must not silently fall back to a default).
 */

const positiveInt = z.number().int().min(1);

/** Data sets a run config may name in `data.dataset`. */
export const DATASET_NAMES = [
  'doublemoon',
  'spiral',
  'spiralhard',
  'mnist',
  'moby-dick',
  'csv',
  'jsonl',
  'text',
] as const;

/** Data sets of byte text, trained with a sequence model (model.type 'transformer'). */
export const TEXT_DATASET_NAMES = ['moby-dick', 'text'] as const;

/** Data sets read from the user's files named by `data.path` (docs/data.md). */
export const FILE_DATASET_NAMES = ['csv', 'jsonl', 'text'] as const;

const distributionSchema = z
  .object({
    family: z.enum(['exponential', 'power-law']).default('exponential'),
    quantile: z.number().gt(0).lt(1).default(0.9),
    lowerBound: z.number().gt(0).optional(),
    offset: z.number().min(0).optional(),
  })
  .strict();

/**
 * `model.minRate` is the exponential's `distribution.lowerBound` under the name the paper's
 * settings use; giving both with different values, or with a power law, is a mistake.
 */
function checkMinRate(
  m: { minRate?: number; distribution: z.output<typeof distributionSchema> },
  ctx: z.RefinementCtx,
): void {
  if (m.minRate === undefined) return;
  if (m.distribution.family !== 'exponential') {
    ctx.addIssue({
      code: 'custom',
      path: ['minRate'],
      message: `applies to the exponential distribution only (for '${m.distribution.family}' use distribution.lowerBound)`,
    });
  } else if (m.distribution.lowerBound !== undefined && m.distribution.lowerBound !== m.minRate) {
    ctx.addIssue({
      code: 'custom',
      path: ['minRate'],
      message: `contradicts distribution.lowerBound (${m.distribution.lowerBound}); give one of them`,
    });
  }
}

const mlpSchema = z
  .object({
    type: z.literal('mlp'),
    hiddenLayers: positiveInt.default(2),
    adaptive: z.boolean().default(true),
    initialRate: z.number().gt(0).default(MLP_DEFAULTS.initialRate),
    widths: z.array(positiveInt).optional(),
    maxWidth: positiveInt.default(MLP_DEFAULTS.maxWidth),
    activation: z.enum(ACTIVATIONS).default(MLP_DEFAULTS.activation),
    distribution: distributionSchema.default({ ...MLP_DEFAULTS.distribution }),
    /** Lower bound on λ (exponential): below it r is projected back to softplus⁻¹(minRate). */
    minRate: z.number().gt(0).optional(),
    capacityFactor: z.number().min(1).default(MLP_DEFAULTS.capacityFactor),
  })
  .strict()
  .superRefine(checkMinRate)
  .refine((m) => m.adaptive || (m.widths !== undefined && m.widths.length === m.hiddenLayers), {
    message: 'a fixed-width model (adaptive: false) needs one width per hidden layer',
    path: ['widths'],
  });

/**
 * Decoder-only Transformer language model over bytes (docs/method.md §7): only the FFN of each
 * block adapts its width.
 */
const transformerSchema = z
  .object({
    type: z.literal('transformer'),
    blocks: positiveInt.default(2),
    dModel: positiveInt.default(64),
    heads: positiveInt.default(4),
    /** Longest sequence the model reads (positional table size). */
    context: positiveInt.default(64),
    adaptive: z.boolean().default(true),
    initialRate: z.number().gt(0).default(TRANSFORMER_DEFAULTS.initialRate),
    /** FFN width of each block of a fixed-width model (adaptive: false). */
    ffnWidths: z.array(positiveInt).optional(),
    /** Scale FFN activations by the importance f (default: same as adaptive). */
    importance: z.boolean().optional(),
    /** Learn the rates; false freezes the widths at their initial value. */
    trainRate: z.boolean().default(TRANSFORMER_DEFAULTS.trainRate),
    maxWidth: positiveInt.default(TRANSFORMER_DEFAULTS.maxWidth),
    activation: z.enum(ACTIVATIONS).default(TRANSFORMER_DEFAULTS.activation),
    distribution: distributionSchema.default({ ...TRANSFORMER_DEFAULTS.distribution }),
    /** Lower bound on λ of each FFN (exponential), as for the MLP. */
    minRate: z.number().gt(0).optional(),
    capacityFactor: z.number().min(1).default(TRANSFORMER_DEFAULTS.capacityFactor),
    tiedEmbeddings: z.boolean().default(TRANSFORMER_DEFAULTS.tiedEmbeddings),
    dropout: z.number().min(0).lt(1).default(TRANSFORMER_DEFAULTS.dropout),
    /** Recompute each block's activations in the backward pass instead of keeping them (needs dropout 0). */
    recompute: z.boolean().default(TRANSFORMER_DEFAULTS.recompute),
  })
  .strict()
  .superRefine(checkMinRate)
  .refine((m) => !(m.recompute && m.dropout > 0), { message: 'recompute needs dropout 0', path: ['recompute'] })
  .refine((m) => m.adaptive || (m.ffnWidths !== undefined && m.ffnWidths.length === m.blocks), {
    message: 'a fixed-width Transformer (adaptive: false) needs one FFN width per block',
    path: ['ffnWidths'],
  })
  .refine((m) => m.dModel % m.heads === 0, { message: 'heads must divide dModel', path: ['heads'] });

/** Input of the model field: `type` may be left out for an MLP (the original format). */
type ModelInput = (Omit<z.input<typeof mlpSchema>, 'type'> & { type?: 'mlp' }) | z.input<typeof transformerSchema>;

const modelSchema = z.preprocess(
  (v: ModelInput | undefined) =>
    v === undefined
      ? { type: 'mlp' }
      : typeof v === 'object' && v !== null && !('type' in v)
        ? { ...v, type: 'mlp' }
        : v,
  z.discriminatedUnion('type', [mlpSchema, transformerSchema]),
);

const optimizerSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('adam'),
      learningRate: z.number().gt(0),
      beta1: z.number().min(0).lt(1).optional(),
      beta2: z.number().min(0).lt(1).optional(),
      epsilon: z.number().gt(0).optional(),
      clipNorm: z.number().gt(0).optional(),
      /** L2 penalty on every parameter as torch.optim.Adam's weight_decay (the authors' Transformer: 5e-4). */
      weightDecay: z.number().min(0).max(1).optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('sgd'),
      learningRate: z.number().gt(0),
      momentum: z.number().min(0).lt(1).optional(),
      nesterov: z.boolean().optional(),
      clipNorm: z.number().gt(0).optional(),
    })
    .strict(),
]);

/** The zod schema of a run config (defaults filled, unknown fields rejected). */
export const runConfigSchema = z
  .object({
    name: z.string().min(1).default('run'),
    seed: z.number().int().min(0).default(0),
    backend: z.enum(BACKEND_NAMES).default('auto'),
    data: z
      .object({
        dataset: z.enum(DATASET_NAMES),
        testFraction: z.number().gt(0).lt(1).default(0.2),
        validationFraction: z.number().min(0).lt(1).default(0.1),
        standardize: z.boolean().default(false),
        /** MNIST only: how many of the package's 10k digits go to train (rest: test). */
        trainCount: positiveInt.optional(),
        testCount: positiveInt.optional(),
        /** Text only: tokens per training window (default: model.context). */
        sequenceLength: positiveInt.optional(),
        /** Moby-Dick only: chapters held out for validation, before the test chapters (default 5). */
        validationChapters: positiveInt.optional(),
        /** Moby-Dick only: last chapters held out for testing (default 5). */
        testChapters: positiveInt.optional(),
        /**
         * Text only: score at most this many bytes of a split (the start of it), to keep evaluation
         * short. The end of a run reads this many in all, shared by the test and validation scores
         * and the truncation curve (@awn/run's endOfRunShares, docs/cli.md).
         */
        evalBytes: positiveInt.optional(),
        ...fileDataFields,
      })
      .strict()
      .superRefine(checkFileDataFields),
    model: modelSchema,
    loss: z
      .object({
        weightPriorStd: z.number().gt(0).default(1),
        rateMean: z.number().gt(0).optional(),
        rateStd: z.number().gt(0).optional(),
        /** N of the ELBO; defaults to the training-set size. */
        nObservations: positiveInt.optional(),
      })
      .strict()
      .refine((l) => (l.rateMean === undefined) === (l.rateStd === undefined), {
        message: 'rateMean and rateStd must be given together',
        path: ['rateStd'],
      })
      .default({ weightPriorStd: 1 }),
    training: z
      .object({
        steps: positiveInt,
        batchSize: positiveInt.default(128),
        optimizer: optimizerSchema.default({ type: 'adam', learningRate: 0.01 }),
        /** Evaluate on the validation split every n steps (0: only at the end). */
        evalEvery: z.number().int().min(0).default(0),
        /** Write a metrics.jsonl line every n steps. */
        logEvery: positiveInt.default(10),
        /** Save a checkpoint every n steps (0: only at the end). */
        checkpointEvery: z.number().int().min(0).default(0),
        /** Checkpoints kept on disk (older ones are pruned). */
        keepCheckpoints: positiveInt.default(3),
      })
      .strict(),
    compression: z
      .object({
        startStep: z.number().int().min(0),
        endStep: z.number().int().min(0),
        rateMean: z.number().gt(0),
        startStd: z.number().gt(0),
        endStd: z.number().gt(0),
      })
      .strict()
      .refine((c) => c.endStep >= c.startStep, { message: 'endStep must be ≥ startStep', path: ['endStep'] })
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const text = (TEXT_DATASET_NAMES as readonly string[]).includes(c.data.dataset);
    if (text !== (c.model.type === 'transformer')) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'type'],
        message: text
          ? `text data set '${c.data.dataset}' needs model.type 'transformer'`
          : `model.type 'transformer' needs a text data set (${TEXT_DATASET_NAMES.join(', ')})`,
      });
    }
    if (
      c.model.type === 'transformer' &&
      c.data.sequenceLength !== undefined &&
      c.data.sequenceLength > c.model.context
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['data', 'sequenceLength'],
        message: `must be ≤ model.context (${c.model.context})`,
      });
    }
  });

/** A config as written in a file (defaults optional). */
export type RunConfigInput = z.input<typeof runConfigSchema>;
/** A config with every default filled in. */
export type RunConfig = z.output<typeof runConfigSchema>;
/** The model section of an MLP run. */
export type MlpModelConfig = Extract<RunConfig['model'], { type: 'mlp' }>;
/** The model section of a Transformer run. */
export type TransformerModelConfig = Extract<RunConfig['model'], { type: 'transformer' }>;
