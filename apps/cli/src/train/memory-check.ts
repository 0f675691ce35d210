import { freemem, totalmem } from 'node:os';
import {
  estimateTrainingMemory,
  formatBytes,
  WASM_HEAP_BYTES,
  type MemoryEstimate,
  type RunConfig,
} from '@awn/core/internal';
import { UsageError } from '../errors.js';

/** What `awn train` checks before it starts, and what `--dry-run` prints. */
export interface MemoryCheck {
  estimate: MemoryEstimate;
  /** Training processes on this machine (1, or the local workers of --workers N). */
  processes: number;
  /** Bytes the run may use, and where that number came from. */
  limit: number;
  limitSource: string;
  fits: boolean;
  /** Why the run cannot start, when it cannot. */
  problem?: string;
}

/**
 * Estimates the run's memory and compares it with --memory-limit, else with the memory the OS
 * reports available now (os.freemem: MemAvailable on Linux). A run that cannot fit is refused here,
 * at start-up, instead of aborting mid-run.
 */
export function checkMemory(config: RunConfig, options: { processes: number; memoryLimit?: number }): MemoryCheck {
  const estimate = estimateTrainingMemory(config);
  const processes = Math.max(1, options.processes);
  const limit = options.memoryLimit ?? freemem();
  const limitSource =
    options.memoryLimit !== undefined
      ? 'the --memory-limit'
      : `what the OS has available now (of ${formatBytes(totalmem())})`;
  const need = estimate.peakBytes * processes;
  let problem: string | undefined;
  if (need > limit) {
    problem =
      `the run needs about ${formatBytes(need)}${processes > 1 ? ` (${processes} processes × ${formatBytes(estimate.peakBytes)})` : ''} ` +
      `but ${limitSource} is ${formatBytes(limit)}: lower training.batchSize or data.sequenceLength, use fewer or narrower ` +
      'blocks (model.blocks, model.dModel, model.maxWidth), fewer --workers, or raise --memory-limit';
  } else if (config.backend === 'wasm' && estimate.engineBytes > WASM_HEAP_BYTES) {
    problem =
      `the run needs about ${formatBytes(estimate.engineBytes)} of tensors at once, more than the wasm backend's 4 GiB heap: ` +
      'use --backend cpu (the same native kernels, tensors in ordinary memory)';
  }
  return { estimate, processes, limit, limitSource, fits: problem === undefined, problem };
}

/** Refuses a run that cannot fit, with the reason (exit code 2). */
export function assertMemory(check: MemoryCheck): void {
  if (check.problem) throw new UsageError(`not starting: ${check.problem} (awn train --dry-run shows the estimate)`);
}

/** The dry-run report: one line per term, then the verdict. */
export function formatMemoryCheck(config: RunConfig, check: MemoryCheck): string {
  const e = check.estimate;
  const m = config.model;
  const shape =
    m.type === 'transformer'
      ? `${m.blocks} blocks, d_model ${m.dModel}, ${m.heads} heads, batch ${config.training.batchSize} × ${config.data.sequenceLength ?? m.context} tokens`
      : `${m.hiddenLayers} hidden layers, batch ${config.training.batchSize}`;
  const rows: [string, number][] = [
    ['parameters (host copy, adaptive layers at capacity)', e.parameterBytes],
    [`optimizer state (${config.training.optimizer.type})`, e.optimizerBytes],
    ['per step: uploaded parameters, gradients, flat gradient', e.stepBytes],
    ['activations per batch (kept for the backward pass)', e.activationBytes],
    ['runtime (Node.js, tfjs, data set)', e.runtimeBytes],
  ];
  const lines = [
    `${config.name}: ${(e.parameters / 1e6).toFixed(1)}M parameters (${shape}), backend ${config.backend}`,
    ...rows.map(([label, bytes]) => `  ${label.padEnd(58)}${formatBytes(bytes).padStart(12)}`),
    `  ${'estimated peak per process'.padEnd(58)}${formatBytes(e.peakBytes).padStart(12)}`,
  ];
  if (check.processes > 1)
    lines.push(
      `  ${`${check.processes} processes`.padEnd(58)}${formatBytes(e.peakBytes * check.processes).padStart(12)}`,
    );
  lines.push(`  ${`memory limit: ${check.limitSource}`.padEnd(58)}${formatBytes(check.limit).padStart(12)}`);
  lines.push(check.fits ? '  fits: yes' : `  fits: NO — ${check.problem}`);
  return `${lines.join('\n')}\n`;
}
