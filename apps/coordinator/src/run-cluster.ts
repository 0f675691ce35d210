import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { readFile } from 'node:fs/promises';
import { configHash } from '@awn/protocol';
import {
  buildExperiment,
  encodeCheckpoint,
  loadRunData,
  withoutInitialValues,
  latestValidCheckpoint,
  decodeCheckpoint,
  decodeTrainingState,
  estimateTrainingMemory,
  selectBackend,
} from '@awn/core/internal';
import { AWN_VERSION, MetricsPusher, MetricsRecorder } from '@awn/telemetry';
import { Coordinator, type PulledState, type StepProgress } from './coordinator.js';
import type { CoordinatorOptions } from './machine/options.js';
import {
  divergedError,
  DivergenceWatch,
  metricsLine,
  RunDirectory,
  summarizeRun,
  describeScoring,
  writeReport,
  type Divergence,
  type MetricsLine,
  type RunSummary,
} from '@awn/run';
import { RunFailedError, UsageError } from './errors.js';
import { CheckpointWriter } from './checkpoint-sink/checkpoint-writer.js';

/**
 * A whole distributed run from the coordinator's side: the coordinator's own options
 * (machine/options.ts) plus the run directory and the callbacks of whoever launched it.
 */
export interface ClusterRunOptions extends Omit<CoordinatorOptions, 'runId' | 'metricsEndpoint' | 'resume'> {
  /** Run directory to create. */
  out: string;
  force?: boolean;
  /**
   * Without `secret`: generate a fresh random one for this run, handed to `onListening` as the
   * environment of the workers this process starts itself. Only they can then join, send
   * control messages or reach a ring port; no other local process can.
   */
  perRunSecret?: boolean;
  /**
   * Called once the control socket is bound (launch local workers here). `env` holds what the
   * workers need in their environment (the secret, never on a command line, where any local user
   * could read it).
   */
  onListening?: (address: string, runId: string, env: Record<string, string>) => void;
  /** Called for every completed step (progress display). */
  onStep?: (p: StepProgress) => void;
  /** Receives the coordinator so the caller can request a stop (Ctrl-C). */
  onCoordinator?: (c: Coordinator) => void;
  /** Metrics exporter snapshot endpoint: the coordinator pushes there and tells every worker to. */
  metricsEndpoint?: string;
  /** Continue the run in `out` from its newest valid checkpoint (after a coordinator loss). */
  resume?: boolean;
}

/** One metrics.jsonl line of a distributed step. */
function metricsRecord(p: StepProgress): MetricsLine {
  return metricsLine({
    step: p.step,
    epoch: p.epoch,
    loss: p.loss.total,
    nll: p.loss.nll,
    weightPrior: p.loss.weightPrior,
    ratePrior: p.loss.ratePrior,
    widths: p.widths,
    rates: p.rates,
    widthChanges: p.widthChanges,
    samples: p.samples,
    samplesPerSecond: p.samplesPerSecond,
    ranks: p.timings,
  });
}

/**
 * A distributed run from the coordinator's side: run directory, rendezvous, progress into
 * metrics.jsonl, checkpoints pulled from rank 0 and written atomically, then the final model
 * scored here on the test split, summary.json and report.html.
 */
export async function runCluster(options: ClusterRunOptions): Promise<RunSummary> {
  const { config, logger } = options;
  let resume: { step: number; bytes: Uint8Array } | undefined;
  let dir: RunDirectory;
  if (options.resume) {
    dir = await RunDirectory.open(options.out);
    const saved = JSON.parse(await readFile(dir.file('config.json'), 'utf8')) as unknown;
    if (configHash(saved) !== configHash(config))
      throw new UsageError(
        `cannot resume ${dir.path} with a different config: pass the run's own config (${dir.file('config.json')})`,
      );
    const { latest, skipped } = await latestValidCheckpoint(dir.checkpoints);
    for (const s of skipped) logger.warn({ file: s.path, reason: s.reason }, 'skipping an unusable checkpoint');
    if (!latest) throw new UsageError(`cannot resume ${dir.path}: no valid checkpoint in ${dir.checkpoints}`);
    const state = decodeTrainingState(latest.contents, latest.path);
    resume = { step: state.step, bytes: encodeCheckpoint(latest.contents) };
    await dir.truncateMetrics(state.step);
    logger.info({ step: state.step, checkpoint: latest.path }, `resuming from step ${state.step}`);
  } else {
    dir = await RunDirectory.create(options.out, { force: options.force });
    await dir.writeJson('config.json', config);
  }
  // Text, since it travels as an environment variable: 43 base64url characters of 32 random bytes.
  const childSecret =
    options.secret === undefined && options.perRunSecret ? randomBytes(32).toString('base64url') : undefined;
  const secret = options.secret ?? childSecret;
  const {
    out: _out,
    force: _force,
    perRunSecret: _perRunSecret,
    onListening: _onListening,
    onStep: _onStep,
    onCoordinator: _onCoordinator,
    resume: _resume,
    ...coordinatorOptions
  } = options;
  const coordinator = new Coordinator({
    ...coordinatorOptions,
    secret,
    metricsEndpoint: options.metricsEndpoint ?? null,
    resume,
  });
  const recorder = new MetricsRecorder();
  recorder.buildInfo({ version: AWN_VERSION, backend: config.backend });
  let lastLoss: RunSummary['train'] = {
    loss: Number.NaN,
    nll: Number.NaN,
    weightPrior: Number.NaN,
    ratePrior: Number.NaN,
  };
  let samples = 0;
  let worldSize = options.workers;
  let lastCheckpoint: string | null = null;
  const logEvery = config.training.logEvery;
  let writes: Promise<void> = Promise.resolve();
  // A diverged loss or runaway widths end the run before the state is summarised (docs/cli.md).
  const watch = new DivergenceWatch(config.model.maxWidth);
  let diverged: Divergence | undefined;
  coordinator.onStep = (p) => {
    if (diverged) return;
    diverged = watch.update({ step: p.step, loss: p.loss.total, nll: p.loss.nll, widths: p.widths });
    if (diverged) return coordinator.abort(new RunFailedError(`training diverged: ${diverged.reason}`));
    samples += p.samples;
    worldSize = p.timings.length;
    lastLoss = { loss: p.loss.total, nll: p.loss.nll, weightPrior: p.loss.weightPrior, ratePrior: p.loss.ratePrior };
    if (p.step % logEvery === 0 || p.step === config.training.steps)
      writes = writes.then(() => dir.appendMetrics(metricsRecord(p)));
    options.onStep?.(p);
  };
  // Verified and written on a thread of its own: the main thread keeps heartbeating meanwhile.
  const checkpoints = new CheckpointWriter(dir.checkpoints, config.training.keepCheckpoints);
  coordinator.onState = async (s) => {
    // The final state comes back into s.bytes after the write: it is scored below.
    const { path, seconds } = await checkpoints.write(s);
    lastCheckpoint = path;
    recorder.observe('awn_checkpoint_seconds', seconds);
    logger.info({ step: s.step, path, seconds }, 'checkpoint written');
  };
  options.onCoordinator?.(coordinator);
  const started = performance.now();
  const address = await coordinator.start();
  const pusher = options.metricsEndpoint
    ? new MetricsPusher({ endpoint: options.metricsEndpoint, runId: coordinator.runId, rank: 0, role: 'coordinator' })
    : undefined;
  const counted = new Map<string, number>();
  const snapshot = () => {
    const states = coordinator.workerStates();
    for (const [state, n] of Object.entries(states)) recorder.gauge('awn_workers', n, { state });
    for (const [reason, n] of coordinator.dropped) {
      recorder.inc('awn_dropped_messages_total', n - (counted.get(reason) ?? 0), { reason });
      counted.set(reason, n);
    }
    return { generation: coordinator.currentGeneration, step: coordinator.completedStep, samples: recorder.snapshot() };
  };
  const stopPushing = pusher?.pushEvery(1000, snapshot);
  options.onListening?.(address, coordinator.runId, childSecret ? { AWN_CLUSTER_SECRET: childSecret } : {});
  let final: PulledState | undefined;
  let failure: unknown;
  try {
    final = await coordinator.run();
  } catch (error) {
    failure = error;
  } finally {
    stopPushing?.();
    pusher?.push(snapshot());
    await pusher?.close();
    await writes;
    await checkpoints.close();
    await dir.close();
  }
  // After the writer has drained: checkpoints of the diverged state are set aside, then the run ends.
  if (diverged) throw await divergedError(dir.path, diverged, config.training.optimizer.learningRate);
  const wallSeconds = (performance.now() - started) / 1e3;
  const outcome = async (bytes: Uint8Array, source: string, status: RunSummary['status'], reason?: string) => {
    const backend = await selectBackend(config.backend, undefined, {
      engineBytes: estimateTrainingMemory(config).engineBytes,
    });
    // Scored with the state's model: the experiment's own would only cost its draws (~7 s at 100M).
    const data = await loadRunData(config);
    const exp = withoutInitialValues(() => buildExperiment(config, {}, data));
    const state = decodeTrainingState(decodeCheckpoint(bytes, source), source);
    const scoring = performance.now();
    logger.info({ evalBytes: config.data.evalBytes ?? 'whole split' }, describeScoring(exp));
    const summary = summarizeRun({
      exp,
      model: state.model,
      status: status === 'completed' && state.step < config.training.steps ? 'interrupted' : status,
      reason,
      steps: state.step,
      worldSize,
      backend: backend.name,
      wallSeconds,
      samples,
      lastLoss,
      checkpoint: lastCheckpoint && relative(dir.path, lastCheckpoint),
    });
    logger.info(
      { seconds: (performance.now() - scoring) / 1e3 },
      'scores and truncation curve done; writing summary and report',
    );
    await dir.writeJson('summary.json', summary);
    await writeReport(dir.path);
    return summary;
  };
  if (final === undefined) {
    // A failed run still leaves a summary and a report of the newest state it saved, and why.
    if (failure instanceof RunFailedError) {
      const saved = coordinator.salvaged?.bytes ?? (await newestCheckpointBytes(dir.checkpoints));
      if (saved)
        await outcome(saved, 'the newest saved state', 'failed', failure.message).catch((error: unknown) =>
          logger.warn({ err: error }, 'could not write the summary of the failed run'),
        );
    }
    throw failure;
  }
  const summary = await outcome(final.bytes, 'final state from rank 0', 'completed');
  await dir.release();
  return summary;
}

/** The encoded newest valid checkpoint in `dir`, if there is one. */
async function newestCheckpointBytes(dir: string): Promise<Uint8Array | undefined> {
  const { latest } = await latestValidCheckpoint(dir);
  return latest ? encodeCheckpoint(latest.contents) : undefined;
}
