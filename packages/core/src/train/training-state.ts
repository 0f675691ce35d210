import {
  CheckpointError,
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointContents,
  type WritableCheckpoint,
} from '../checkpoint/index.js';
import type { AdaptiveModel } from '../models/model.js';
import { createModel } from '../models/registry.js';
import { withoutInitialValues } from '../params/parameter.js';
import { createOptimizer, type Optimizer, type OptimizerConfig } from '../optim/index.js';
import type { DataCursor } from './batch.js';

/** Everything needed to continue training exactly where it stopped. */
export interface TrainingState {
  model: AdaptiveModel;
  optimizer: Optimizer;
  /** Number of completed steps. */
  step: number;
  /** Position of the data stream. */
  cursor: DataCursor;
  /** Caller's extra metadata (run config, generation, …), JSON-serialisable. */
  extra?: Record<string, unknown>;
}

const SLOT_SEPARATOR = '#';

/**
 * A training state as checkpoint contents: values and optimizer slots of every parameter, each
 * packed from its capacity buffer only when written (see CheckpointTensorSource), so encoding or
 * saving makes no copy of the state besides the bytes written. Write it before the state changes.
 */
export function encodeTrainingState(state: TrainingState): WritableCheckpoint {
  const { model, optimizer } = state;
  const tensors: WritableCheckpoint['tensors'] = {};
  for (const p of model.parameters) {
    tensors[p.name] = { shape: p.shape, read: (out) => p.read(out) };
    for (const slot of optimizer.slotNames)
      tensors[`${p.name}${SLOT_SEPARATOR}${slot}`] = { shape: p.shape, read: (out) => p.readSlot(slot, out) };
  }
  return {
    kind: `awn-${model.kind}`,
    meta: {
      modelKind: model.kind,
      model: JSON.parse(JSON.stringify(model.toConfig())),
      widths: model.adaptiveLayers.map((l) => l.width),
      rates: model.adaptiveLayers.map((l) => l.rate ?? null),
      optimizer: { ...optimizer.config },
      optimizerStep: optimizer.stepCount,
      step: state.step,
      cursor: state.cursor,
      extra: state.extra ?? {},
    },
    tensors,
  };
}

/** Rebuilds a training state from checkpoint contents; `source` names the file in errors. */
export function decodeTrainingState(contents: CheckpointContents, source: string): TrainingState {
  const meta = contents.meta as {
    modelKind?: string;
    model?: Record<string, unknown>;
    widths?: number[];
    optimizer?: OptimizerConfig;
    optimizerStep?: number;
    step?: number;
    cursor?: DataCursor;
    extra?: Record<string, unknown>;
  };
  const bad = (what: string): never => {
    throw new CheckpointError(source, 'invalid', what);
  };
  if (typeof meta.modelKind !== 'string' || !meta.model) bad('meta.modelKind/meta.model missing');
  if (!Array.isArray(meta.widths)) bad('meta.widths missing');
  if (!meta.optimizer) bad('meta.optimizer missing');
  // Every value is written from the checkpoint below: drawing them first would only cost time.
  const model = withoutInitialValues(() => {
    const m = createModel(meta.modelKind!, meta.model!);
    const layers = m.adaptiveLayers;
    if (meta.widths!.length !== layers.length)
      bad(`has ${meta.widths!.length} widths for a model with ${layers.length} adaptive layers`);
    // Resize first so every parameter has its saved shape.
    layers.forEach((layer, i) => layer.resize(meta.widths![i], m.seed, meta.step ?? 0));
    return m;
  });
  const optimizer = createOptimizer(meta.optimizer!);
  optimizer.stepCount = meta.optimizerStep ?? 0;
  for (const p of model.parameters) {
    const t = contents.tensors[p.name];
    if (!t) bad(`parameter ${p.name} is missing`);
    if (t.shape.join(',') !== p.shape.join(','))
      bad(`parameter ${p.name} has shape [${t.shape}], the model expects [${p.shape}]`);
    p.write(t.data);
    for (const slot of optimizer.slotNames) {
      const s = contents.tensors[`${p.name}${SLOT_SEPARATOR}${slot}`];
      if (!s) bad(`optimizer slot ${slot} of ${p.name} is missing`);
      p.writeSlot(slot, s.data);
    }
  }
  return { model, optimizer, step: meta.step ?? 0, cursor: meta.cursor ?? {}, extra: meta.extra };
}

/** Saves a training state atomically (temp file, fsync, rename). */
export async function saveTrainingState(path: string, state: TrainingState): Promise<void> {
  await saveCheckpoint(path, encodeTrainingState(state));
}

/** Loads and verifies a training state; corrupt, truncated or foreign files are a CheckpointError. */
export async function loadTrainingState(path: string): Promise<TrainingState> {
  const contents = await loadCheckpoint(path);
  if (!contents.kind.startsWith('awn-'))
    throw new CheckpointError(path, 'kind', `holds '${contents.kind}', not an awn training state`);
  return decodeTrainingState(contents, path);
}
