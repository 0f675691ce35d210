import { RunFailedError, runCluster, type Coordinator, type RunSummary } from '@awn/coordinator';
import type { RunConfig } from '@awn/core';
import type { Logger } from '@awn/telemetry';
import { ProgressView } from '../progress/progress-view.js';
import { LocalWorkers } from './local-workers.js';

export interface TrainClusterOptions {
  config: RunConfig;
  out: string;
  force?: boolean;
  logger: Logger;
  workers: number;
  /** Control address (default tcp://127.0.0.1:0, a free port). */
  bind?: string;
  tty?: boolean;
  /** Receives a function that asks the cluster to stop cleanly (Ctrl-C). */
  onStopHandle?: (stop: () => void) => void;
}

/**
 * `awn train --workers N`: this process is the coordinator; N `awn worker` processes on this
 * machine train data-parallel over loopback; progress is merged here from every rank's reports.
 */
export async function trainCluster(options: TrainClusterOptions): Promise<RunSummary> {
  const { config, logger } = options;
  const progress = new ProgressView(config.training.steps, logger, { tty: options.tty });
  // A local worker that dies ends the run now rather than after a join or heartbeat timeout.
  const workers = new LocalWorkers(logger, (_i, reason) => coordinator?.abort(new RunFailedError(reason)));
  let coordinator: Coordinator | undefined;
  options.onStopHandle?.(() => coordinator?.requestStop('interrupted by the user'));
  try {
    const summary = await runCluster({
      config,
      out: options.out,
      force: options.force,
      logger,
      bind: options.bind ?? 'tcp://127.0.0.1:0',
      workers: options.workers,
      onCoordinator: (c) => (coordinator = c),
      onListening: (address) => {
        progress.start(0);
        workers.start(options.workers, address);
      },
      onStep: (p) => progress.update({ step: p.step, epoch: p.epoch, loss: p.loss.total, widths: p.widths, samplesPerSecond: p.samplesPerSecond, workers: options.workers }),
    });
    return summary;
  } finally {
    progress.stop();
    await workers.stop();
  }
}
