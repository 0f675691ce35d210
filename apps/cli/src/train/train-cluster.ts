import { RunFailedError, runCluster, type Coordinator } from '@awn/coordinator';
import { writeJsonAtomic, type RunSummary } from '@awn/run';
import { estimateTrainingMemory, selectBackend, type RunConfig, type RunData } from '@awn/core';
import { join } from 'node:path';
import { runtimeLine } from './runtime-line.js';
import type { Logger } from '@awn/telemetry';
import { startMetricsExporter, type MetricsExporter } from '@awn/metrics-exporter';
import { ProgressView } from '../progress/progress-view.js';
import { LocalWorkers } from './local-workers.js';
import { readSecret } from '../commands/secret.js';

export interface TrainClusterOptions {
  config: RunConfig;
  /** The run's data, loaded here first so a bad file fails before anything starts. */
  data: RunData;
  out: string;
  force?: boolean;
  /** Continue the run in `out` from its newest valid checkpoint. */
  resume?: boolean;
  logger: Logger;
  workers: number;
  /** Control address (default tcp://127.0.0.1:0, a free port). */
  bind?: string;
  tty?: boolean;
  /** Receives a function that asks the cluster to stop cleanly (Ctrl-C). */
  onStopHandle?: (stop: () => void) => void;
  /** HTTP port of the metrics exporter started for the run (null: none; 0: any free port). */
  metricsPort?: number | null;
  /** Push metrics to this running exporter's snapshot endpoint instead of starting one. */
  metricsEndpoint?: string;
  /** Fewest workers to continue with if some are lost (default: all). */
  minWorkers?: number;
  batchPolicy?: 'global' | 'per-worker';
}

/**
 * The run's own metrics exporter. The preferred port being taken (another run, a system exporter)
 * is no reason to refuse training: a free port is used instead and named in the log.
 */
async function startRunExporter(port: number, logger: Logger): Promise<MetricsExporter> {
  const quiet = logger.child({ component: 'metrics-exporter' });
  try {
    return await startMetricsExporter({ bind: 'tcp://127.0.0.1:0', http: { host: '127.0.0.1', port }, logger: quiet });
  } catch (error) {
    if (port === 0 || !/EADDRINUSE/.test((error as Error).message)) throw error;
    const exporter = await startMetricsExporter({
      bind: 'tcp://127.0.0.1:0',
      http: { host: '127.0.0.1', port: 0 },
      logger: quiet,
    });
    logger.warn(
      { wanted: port, port: exporter.httpPort },
      `port ${port} is taken: metrics are served on http://127.0.0.1:${exporter.httpPort}/metrics instead`,
    );
    return exporter;
  }
}

/**
 * `awn train --workers N`: this process is the coordinator; N `awn worker` processes on this
 * machine train data-parallel over loopback; progress is merged here from every rank's reports.
 */
export async function trainCluster(options: TrainClusterOptions): Promise<RunSummary> {
  const { config, logger } = options;
  // AWN_CLUSTER_SECRET when set (the workers inherit it), else a fresh secret of this run for its
  // own children only: no other local process can join, send control messages or reach a ring.
  const secret = readSecret('127.0.0.1');
  const backend = await selectBackend(config.backend, undefined, {
    engineBytes: estimateTrainingMemory(config).engineBytes,
  });
  logger.info(
    { backend: backend.name, blas: backend.blas },
    runtimeLine({ backend, worldSize: options.workers, protection: 'hmac (loopback, ring: run password)' }),
  );
  const progress = new ProgressView(config.training.steps, logger, {
    tty: options.tty,
    text: config.model.type === 'transformer',
  });
  // A local worker that dies ends the run now rather than after a join or heartbeat timeout.
  // Without elasticity a dead local worker ends the run now rather than after a heartbeat timeout.
  const elastic = options.minWorkers !== undefined && options.minWorkers < options.workers;
  const workers = new LocalWorkers(logger, (_i, reason) => {
    if (!elastic) coordinator?.abort(new RunFailedError(reason));
  });
  let coordinator: Coordinator | undefined;
  options.onStopHandle?.(() => coordinator?.requestStop('interrupted by the user'));
  const exporter =
    options.metricsPort === null || options.metricsEndpoint
      ? undefined
      : await startRunExporter(options.metricsPort ?? 9464, logger);
  if (exporter)
    logger.info(
      { url: `http://127.0.0.1:${exporter.httpPort}/metrics` },
      `metrics: http://127.0.0.1:${exporter.httpPort}/metrics`,
    );
  try {
    const summary = await runCluster({
      config,
      out: options.out,
      force: options.force,
      resume: options.resume,
      logger,
      bind: options.bind ?? 'tcp://127.0.0.1:0',
      workers: options.workers,
      secret,
      perRunSecret: true,
      // Every rank is on loopback: the ring admits connections by the run's password instead of
      // signing every message (HMAC costs 2-3.5x the all-reduce time, bench/ring-auth.bench.mjs).
      ringAuth: 'plain',
      minWorkers: options.minWorkers,
      batchPolicy: options.batchPolicy,
      metricsEndpoint: options.metricsEndpoint ?? exporter?.snapshotEndpoint,
      onCoordinator: (c) => (coordinator = c),
      onListening: (address, _runId, env) => {
        if (options.data.preprocessing)
          void writeJsonAtomic(join(options.out, 'preprocessing.json'), options.data.preprocessing);
        workers.start(options.workers, address, [], env);
      },
      onStep: (p) =>
        progress.update({
          step: p.step,
          epoch: p.epoch,
          nll: p.loss.nll,
          loss: p.loss.total,
          widths: p.widths,
          samplesPerSecond: p.samplesPerSecond,
          workers: options.workers,
          generation: p.generation,
        }),
    });
    return summary;
  } finally {
    progress.stop();
    await workers.stop();
    await exporter?.close();
  }
}
