import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  buildExperiment,
  checkpointFileName,
  decodeTrainingState,
  estimateTrainingMemory,
  fit,
  NonFiniteGradientError,
  latestValidCheckpoint,
  pruneCheckpoints,
  saveTrainingState,
  selectBackend,
  type RunConfig,
  type RunData,
  type StepMetrics,
  type TrainingState,
  WidthCapWatch,
  widthCapWarning,
} from '@awn/core/internal';
import type { Logger } from '@awn/telemetry';
import {
  DivergedError,
  divergedMessage,
  DivergenceWatch,
  metricsLine,
  RunDirectory,
  setAsideDiverged,
  summarizeRun,
  describeScoring,
  writeReport,
  type Divergence,
  type MetricsLine,
  type RunSummary,
} from '@awn/run';
import { ProgressView } from '../progress/progress-view.js';
import { UsageError } from '../errors.js';
import { runtimeLine } from './runtime-line.js';

export interface TrainLocalOptions {
  config: RunConfig;
  /** The run's data, loaded (and validated) before anything is written. */
  data: RunData;
  out: string;
  force?: boolean;
  /** Continue the run in `out` from its newest valid checkpoint. */
  resume?: boolean;
  logger: Logger;
  /** Polled before each step: true stops cleanly (Ctrl-C). */
  shouldStop?: () => boolean;
  tty?: boolean;
}

/** One line of metrics.jsonl. */
function metricsRecord(m: StepMetrics, validation?: Record<string, number>): MetricsLine {
  return metricsLine({
    step: m.step + 1,
    epoch: m.epoch,
    loss: m.loss.total,
    nll: m.loss.nll,
    weightPrior: m.loss.weightPrior,
    ratePrior: m.loss.ratePrior,
    widths: m.widths,
    rates: m.rates,
    widthChanges: m.widthChanges.length,
    samples: m.globalBatch,
    samplesPerSecond: m.samplesPerSecond,
    seconds: { ...m.seconds },
    validation,
  });
}

/** Thrown out of the step callback to end `fit` when the watch finds the run diverged. */
class DivergenceStop extends Error {
  constructor(readonly divergence: Divergence) {
    super(divergence.reason);
  }
}

/** The divergence an error from `fit` reports, if it is one. */
function divergenceOf(error: unknown): Divergence | undefined {
  if (error instanceof DivergenceStop) return error.divergence;
  if (error instanceof NonFiniteGradientError)
    return {
      step: error.step + 1,
      reason: `a gradient is not finite (loss ${error.loss})`,
      firstBadState: error.step,
    };
  return undefined;
}

/** The newest checkpoint of a run directory that verifies, as a training state. */
async function resumeState(dir: RunDirectory, logger: Logger): Promise<TrainingState> {
  const { latest, skipped } = await latestValidCheckpoint(dir.checkpoints);
  for (const s of skipped) logger.warn({ file: s.path, reason: s.reason }, 'skipping an unusable checkpoint');
  if (!latest) throw new UsageError(`cannot resume ${dir.path}: no valid checkpoint in ${dir.checkpoints}`);
  logger.info({ checkpoint: latest.path }, `resuming from ${relative(dir.path, latest.path)}`);
  return decodeTrainingState(latest.contents, latest.path);
}

/**
 * `awn train` in one process: build the run, train with progress on screen, evaluate and
 * checkpoint on schedule, then write summary.json and report.html into the run directory. With
 * `resume`, the same directory continues from its newest valid checkpoint: metrics.jsonl keeps
 * the lines up to that step and the new ones are appended after them.
 */
export async function trainLocal(options: TrainLocalOptions): Promise<RunSummary> {
  const { config, logger } = options;
  // 'auto' leaves wasm for cpu when the run's tensors would crowd the 4 GiB wasm heap.
  const backend = await selectBackend(config.backend, undefined, {
    engineBytes: estimateTrainingMemory(config).engineBytes,
  });
  logger.info(
    { backend: backend.name, blas: backend.blas },
    runtimeLine({ backend, worldSize: 1, protection: 'none (single process)' }),
  );
  const exp = buildExperiment(config, {}, options.data);
  let dir: RunDirectory;
  let state: TrainingState | undefined;
  if (options.resume) {
    dir = await RunDirectory.open(options.out);
    state = await resumeState(dir, logger);
    // A run killed after its last step but before its summary only needs the summary and report.
    const finished = existsSync(dir.file('summary.json')) && existsSync(dir.file('report.html'));
    if (state.step >= config.training.steps && !finished)
      logger.warn(
        { step: state.step },
        'the run finished training but stopped before writing its summary and report: writing them now',
      );
    else if (state.step >= config.training.steps)
      throw new UsageError(
        `${dir.path} already completed ${state.step} of ${config.training.steps} steps; to train longer pass --steps N (more than ${state.step}) with --config-change-ok`,
      );
    await dir.truncateMetrics(state.step);
    exp.train.restore(state.cursor);
  } else {
    dir = await RunDirectory.create(options.out, { force: options.force });
  }
  await dir.writeJson('config.json', config);
  if (exp.preprocessing) await dir.writeJson('preprocessing.json', exp.preprocessing);
  const model = state?.model ?? exp.model;
  const optimizer = state?.optimizer ?? exp.optimizer;
  const startStep = state?.step ?? 0;
  const { training } = config;
  logger.info(
    {
      runDir: dir.path,
      dataset: config.data.dataset,
      train: exp.splits.train.n,
      widths: model.adaptiveLayers.map((l) => l.width),
    },
    `training ${config.name} for ${training.steps} steps${startStep ? ` from step ${startStep}` : ''}`,
  );

  const progress = new ProgressView(training.steps, logger, {
    tty: options.tty,
    text: exp.metric.name === 'bitsPerByte',
  });
  const capWatch = new WidthCapWatch();
  const divergence = new DivergenceWatch(
    config.model.maxWidth,
    model.adaptiveLayers.map((l) => l.width),
  );
  let samples = 0;
  let lastCheckpoint: string | null = null;
  const checkpoint = async (step: number) => {
    const path = join(dir.checkpoints, checkpointFileName(step));
    const t0 = performance.now();
    await saveTrainingState(path, { model, optimizer, step, cursor: exp.train.cursor(), extra: { runConfig: config } });
    await pruneCheckpoints(dir.checkpoints, training.keepCheckpoints);
    lastCheckpoint = path;
    logger.debug({ step, path, seconds: (performance.now() - t0) / 1e3 }, 'checkpoint written');
  };

  const started = performance.now();
  progress.start();
  let result;
  try {
    result = await fit({
      model,
      optimizer,
      loss: exp.loss,
      train: exp.train,
      steps: training.steps,
      startStep,
      compression: config.compression,
      shouldStop: options.shouldStop,
      onStep: async (m) => {
        const step = m.step + 1;
        // Before anything is logged or checkpointed: a diverged state is never saved as the newest.
        const diverged = divergence.update({ step, loss: m.loss.total, nll: m.loss.nll, widths: m.widths });
        if (diverged) throw new DivergenceStop(diverged);
        samples += m.globalBatch;
        const cap = capWatch.update(m.atMaxWidth);
        if (cap.reached.length)
          logger.warn({ step, layers: cap.reached }, widthCapWarning(cap.reached, m.widths, m.rates));
        if (cap.left.length)
          logger.info({ step, layers: cap.left }, `layer(s) ${cap.left.join(', ')} below model.maxWidth again`);
        const evaluateNow = training.evalEvery > 0 && step % training.evalEvery === 0 && exp.splits.validation;
        const validation = evaluateNow ? exp.score(model, 'validation') : undefined;
        const headline = validation?.[exp.metric.name];
        if (headline !== undefined) progress.setValidation(exp.metric.name, headline);
        if (step % training.logEvery === 0 || validation || step === training.steps) {
          await dir.appendMetrics(
            metricsRecord(
              m,
              validation && {
                nll: validation.nll,
                ...(validation.accuracy !== undefined ? { accuracy: validation.accuracy } : {}),
                ...(validation.mse !== undefined ? { mse: validation.mse } : {}),
                ...(validation.bitsPerByte !== undefined ? { bitsPerByte: validation.bitsPerByte } : {}),
              },
            ),
          );
        }
        if (training.checkpointEvery > 0 && step % training.checkpointEvery === 0 && step < training.steps)
          await checkpoint(step);
        progress.update({
          step,
          epoch: m.epoch,
          nll: m.loss.nll,
          loss: m.loss.total,
          widths: m.widths,
          samplesPerSecond: m.samplesPerSecond,
        });
      },
    });
  } catch (error) {
    const d = divergenceOf(error);
    if (!d) throw error;
    progress.stop();
    const kept = await setAsideDiverged(dir.checkpoints, d.firstBadState);
    await dir.release();
    throw new DivergedError(divergedMessage(d, kept, dir.path, optimizer.config.learningRate));
  } finally {
    progress.stop();
    await dir.close();
  }
  await checkpoint(result.step);
  const last = result.last?.loss ?? {
    total: Number.NaN,
    nll: Number.NaN,
    weightPrior: Number.NaN,
    ratePrior: Number.NaN,
  };
  const scoring = performance.now();
  logger.info({ evalBytes: config.data.evalBytes ?? 'whole split' }, describeScoring(exp));
  const summary = summarizeRun({
    exp,
    model,
    status: result.stopped ? 'interrupted' : 'completed',
    steps: result.step,
    worldSize: 1,
    backend: backend.name,
    wallSeconds: (performance.now() - started) / 1e3,
    samples,
    lastLoss: { loss: last.total, nll: last.nll, weightPrior: last.weightPrior, ratePrior: last.ratePrior },
    checkpoint: lastCheckpoint && relative(dir.path, lastCheckpoint),
  });
  logger.info(
    { seconds: (performance.now() - scoring) / 1e3 },
    'scores and truncation curve done; writing summary and report',
  );
  await dir.writeJson('summary.json', summary);
  await writeReport(dir.path);
  await dir.release();
  return summary;
}
