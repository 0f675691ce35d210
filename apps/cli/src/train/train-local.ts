import { join, relative } from 'node:path';
import {
  buildExperiment,
  checkpointFileName,
  estimateTrainingMemory,
  fit,
  pruneCheckpoints,
  saveTrainingState,
  selectBackend,
  type RunConfig,
  type StepMetrics,
} from '@awn/core';
import type { Logger } from '@awn/telemetry';
import { RunDirectory, summarizeRun, writeReport, type RunSummary } from '@awn/coordinator';
import { ProgressView } from '../progress/progress-view.js';



export interface TrainLocalOptions {
  config: RunConfig;
  out: string;
  force?: boolean;
  logger: Logger;
  /** Polled before each step: true stops cleanly (Ctrl-C). */
  shouldStop?: () => boolean;
  tty?: boolean;
}

/** One line of metrics.jsonl. */
function metricsRecord(m: StepMetrics, validation?: Record<string, number>): Record<string, unknown> {
  return {
    step: m.step + 1,
    epoch: m.epoch,
    loss: m.loss.total,
    nll: m.loss.nll,
    weightPrior: m.loss.weightPrior,
    ratePrior: m.loss.ratePrior,
    widths: m.widths,
    rates: m.rates,
    totalWidth: m.widths.reduce((a, b) => a + b, 0),
    widthChanges: m.widthChanges.length,
    samplesPerSecond: m.samplesPerSecond,
    seconds: m.seconds,
    ...(validation ? { validation } : {}),
  };
}

/**
 * `awn train` in one process: build the run, train with progress on screen, evaluate and
 * checkpoint on schedule, then write summary.json and report.html into the run directory.
 */
export async function trainLocal(options: TrainLocalOptions): Promise<RunSummary> {
  const { config, logger } = options;
  const dir = await RunDirectory.create(options.out, { force: options.force });
  await dir.writeJson('config.json', config);
  // 'auto' leaves wasm for cpu when the run's tensors would crowd the 4 GiB wasm heap.
  const backend = await selectBackend(config.backend, logger, { engineBytes: estimateTrainingMemory(config).engineBytes });
  const exp = buildExperiment(config);
  const { training } = config;
  logger.info({ runDir: dir.path, dataset: config.data.dataset, train: exp.splits.train.n, widths: exp.model.adaptiveLayers.map((l) => l.width) }, `training ${config.name} for ${training.steps} steps`);

  const progress = new ProgressView(training.steps, logger, { tty: options.tty });
  let samples = 0;
  let lastCheckpoint: string | null = null;
  const checkpoint = async (step: number) => {
    const path = join(dir.checkpoints, checkpointFileName(step));
    const t0 = performance.now();
    await saveTrainingState(path, { model: exp.model, optimizer: exp.optimizer, step, cursor: exp.train.cursor(), extra: { runConfig: config } });
    await pruneCheckpoints(dir.checkpoints, training.keepCheckpoints);
    lastCheckpoint = path;
    logger.debug({ step, path, seconds: (performance.now() - t0) / 1e3 }, 'checkpoint written');
  };

  const started = performance.now();
  progress.start(0);
  let result;
  try {
    result = await fit({
      model: exp.model,
      optimizer: exp.optimizer,
      loss: exp.loss,
      train: exp.train,
      steps: training.steps,
      compression: config.compression,
      shouldStop: options.shouldStop,
      onStep: async (m) => {
        const step = m.step + 1;
        samples += m.globalBatch;
        const evaluateNow = training.evalEvery > 0 && step % training.evalEvery === 0 && exp.splits.validation;
        const validation = evaluateNow ? exp.score(exp.model, 'validation') : undefined;
        if (step % training.logEvery === 0 || validation || step === training.steps) {
          await dir.appendMetrics(metricsRecord(m, validation && { nll: validation.nll, ...(validation.accuracy !== undefined ? { accuracy: validation.accuracy } : { mse: validation.mse! }) }));
        }
        if (training.checkpointEvery > 0 && step % training.checkpointEvery === 0 && step < training.steps) await checkpoint(step);
        progress.update({ step, epoch: m.epoch, loss: m.loss.total, widths: m.widths, samplesPerSecond: m.samplesPerSecond });
      },
    });
  } finally {
    progress.stop();
    await dir.close();
  }
  await checkpoint(result.step);
  const last = result.last?.loss ?? { total: Number.NaN, nll: Number.NaN, weightPrior: Number.NaN, ratePrior: Number.NaN };
  const evalBytes = config.data.evalBytes;
  const scoring = performance.now();
  logger.info(
    { evalBytes: evalBytes ?? 'whole split' },
    `scoring the model: test${exp.splits.validation ? ' and validation' : ''} split${evalBytes !== undefined ? `s (first ${evalBytes} bytes each)` : 's'}, then the truncation curve (10 widths, as many bytes in all as the test score)`,
  );
  const summary = summarizeRun({
    exp,
    model: exp.model,
    status: result.stopped ? 'interrupted' : 'completed',
    steps: result.step,
    worldSize: 1,
    backend: backend.name,
    wallSeconds: (performance.now() - started) / 1e3,
    samples,
    lastLoss: { loss: last.total, nll: last.nll, weightPrior: last.weightPrior, ratePrior: last.ratePrior },
    checkpoint: lastCheckpoint && relative(dir.path, lastCheckpoint),
  });
  logger.info({ seconds: (performance.now() - scoring) / 1e3 }, 'scores and truncation curve done; writing summary and report');
  await dir.writeJson('summary.json', summary);
  await writeReport(dir.path);
  return summary;
}
