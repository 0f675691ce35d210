import { availableParallelism } from 'node:os';
import type { RunConfig } from '@awn/core';
import { UsageError } from '../errors.js';

/**
 * Upper bounds of run-config fields, checked before anything starts. The schema checks types and
 * lower bounds; these catch values that are valid numbers but no run can use: they would hang
 * building the model, diverge at the first step, or exhaust memory before the memory check can
 * estimate them.
 */
export const LIMITS = {
  /** Above this every optimizer here diverges at the first step. */
  learningRate: 1e6,
  hiddenLayers: 1024,
  blocks: 1024,
  /** Widths, initial or maximum. */
  width: 1 << 20,
  batchSize: 1 << 20,
  steps: 1e9,
} as const;

function over(field: string, value: number, max: number, why: string): UsageError {
  return new UsageError(`config field ${field} must be at most ${max} (${why}), got ${value}`);
}

/** Throws a UsageError naming the first field of `config` above its bound. */
export function checkConfigBounds(config: RunConfig): void {
  const { training, model } = config;
  const lr = training.optimizer.learningRate;
  if (!(lr <= LIMITS.learningRate))
    throw over('training.optimizer.learningRate', lr, LIMITS.learningRate, 'a larger step diverges at once');
  if (training.batchSize > LIMITS.batchSize)
    throw over('training.batchSize', training.batchSize, LIMITS.batchSize, 'examples per step');
  if (training.steps > LIMITS.steps) throw over('training.steps', training.steps, LIMITS.steps, 'steps per run');
  const m = model as {
    hiddenLayers?: number;
    blocks?: number;
    maxWidth?: number;
    dModel?: number;
    context?: number;
    widths?: number[];
    ffnWidths?: number[];
  };
  if (m.hiddenLayers !== undefined && m.hiddenLayers > LIMITS.hiddenLayers)
    throw over('model.hiddenLayers', m.hiddenLayers, LIMITS.hiddenLayers, 'layers of one network');
  if (m.blocks !== undefined && m.blocks > LIMITS.blocks)
    throw over('model.blocks', m.blocks, LIMITS.blocks, 'blocks of one network');
  for (const f of ['maxWidth', 'dModel', 'context'] as const) {
    const v = m[f];
    if (v !== undefined && v > LIMITS.width) throw over(`model.${f}`, v, LIMITS.width, 'one dimension of a layer');
  }
  for (const f of ['widths', 'ffnWidths'] as const)
    m[f]?.forEach((v, i) => {
      if (v > LIMITS.width) throw over(`model.${f}[${i}]`, v, LIMITS.width, 'neurons per layer');
    });
}

/** Most local worker processes per CPU thread: more only queue for the same cores. */
const WORKERS_PER_THREAD = 4;

/**
 * Checks --workers and --min-workers against each other, the batch (every worker needs at least
 * one example per step) and, for workers started on this machine, its CPU threads.
 */
export function checkWorkers(
  flags: { workers?: number; minWorkers?: number },
  config: RunConfig,
  local: boolean,
): void {
  const { workers, minWorkers } = flags;
  if (workers === undefined) {
    if (minWorkers !== undefined)
      throw new UsageError('--min-workers only applies with --workers N (one process has no workers to lose)');
    return;
  }
  const batch = config.training.batchSize;
  if (workers > batch)
    throw new UsageError(
      `--workers must be at most training.batchSize (${batch}): every worker needs at least one example per step; got ${workers}`,
    );
  const cap = WORKERS_PER_THREAD * availableParallelism();
  if (local && workers > cap)
    throw new UsageError(
      `--workers must be at most ${cap} (${WORKERS_PER_THREAD} × the ${availableParallelism()} CPU threads here) for workers started on this machine; got ${workers}`,
    );
  if (minWorkers !== undefined && minWorkers > workers)
    throw new UsageError(`--min-workers must be in [1, --workers = ${workers}], got ${minWorkers}`);
}
