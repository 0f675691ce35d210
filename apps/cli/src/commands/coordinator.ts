import { Option, type Command } from 'commander';
import { runCluster } from '@awn/coordinator';
import { checkRunPath, claimDefaultRunPath } from '@awn/run';
import { createLogger } from '@awn/telemetry';
import { loadRunConfig } from '../config/load-config-file.js';
import { MAX_PORT, MAX_TIMEOUT_S, parseIntegerOption } from './options.js';
import { checkConfigBounds, checkWorkers } from '../config/bounds.js';
import { readSecurity } from './secret.js';
import { UsageError } from '../errors.js';
import { printOutcome } from '../train/print-outcome.js';
import { DataFileError, loadRunData, selectBackend } from '@awn/core';
import { runtimeLine } from '../train/runtime-line.js';

interface CoordinatorFlags {
  config: string;
  port: number;
  host: string;
  workers: number;
  out?: string;
  force?: boolean;
  heartbeatMs: number;
  joinTimeout: number;
  collectiveDeadline?: number;
  stallTimeout: number;
  metrics?: string | false;
  minWorkers?: number;
  rejoinTimeout: number;
  resume?: string;
  curveKeys?: string;
  batchPolicy: 'global' | 'per-worker';
}

export function registerCoordinator(program: Command): void {
  program
    .command('coordinator')
    .description('run the coordinator of a multi-machine job: workers started with `awn worker` join it')
    .requiredOption('-c, --config <file>', 'run config, JSON or YAML')
    .option('-p, --port <port>', 'control port workers dial', parseIntegerOption('--port', 0, MAX_PORT), 5555)
    .option(
      '--host <address>',
      'interface to bind (use 0.0.0.0 for other machines; set CURVE keys or AWN_CLUSTER_SECRET then)',
      '127.0.0.1',
    )
    .option('-w, --workers <n>', 'workers the run waits for', parseIntegerOption('--workers', 1), 2)
    .option('-o, --out <dir>', 'run directory (default: runs/<name>-<timestamp>)')
    .option('--force', 'replace the run directory if it exists')
    .option(
      '--heartbeat-ms <ms>',
      'heartbeat interval both ways',
      parseIntegerOption('--heartbeat-ms', 50, 60_000),
      1000,
    )
    .option(
      '--join-timeout <s>',
      'seconds to wait for every worker to join',
      parseIntegerOption('--join-timeout', 1, MAX_TIMEOUT_S),
      120,
    )
    .option(
      '--stall-timeout <s>',
      'floor of the progress deadline: the run fails when no step completes for max(S, 10 × median step) seconds although every worker is alive',
      parseIntegerOption('--stall-timeout', 1, MAX_TIMEOUT_S),
      60,
    )
    .option(
      '--collective-deadline <s>',
      "floor of each collective's deadline; it grows to 10 × the median step like the stall deadline (default: --stall-timeout)",
      parseIntegerOption('--collective-deadline', 1, MAX_TIMEOUT_S),
    )
    .option(
      '--min-workers <n>',
      'elastic: keep training with at least N workers after losing some (default: --workers, i.e. any loss ends the run)',
      parseIntegerOption('--min-workers', 1),
    )
    .option(
      '--rejoin-timeout <s>',
      'elastic: seconds to wait below --min-workers for workers to (re)join',
      parseIntegerOption('--rejoin-timeout', 1, MAX_TIMEOUT_S),
      60,
    )
    .addOption(
      new Option(
        '--batch-policy <policy>',
        "elastic: when the world size changes, keep the global batch (re-divided) or each worker's batch",
      )
        .choices(['global', 'per-worker'])
        .default('global'),
    )
    .option(
      '--resume <run-dir>',
      'continue the run in RUN_DIR from its newest valid checkpoint (after the coordinator was lost); workers rejoin as usual',
    )
    .option(
      '--curve-keys <file>',
      'cluster CURVE keypair from `awn keygen` (default: $AWN_CURVE_PUBLIC_KEY and $AWN_CURVE_SECRET_KEY)',
    )
    .option(
      '--metrics <endpoint>',
      'metrics exporter snapshot endpoint to push to and announce to workers (default: $AWN_METRICS_ENDPOINT)',
    )
    .option('--no-metrics', 'push no metrics, even with $AWN_METRICS_ENDPOINT set')
    .addHelpText(
      'after',
      `
Examples:
  $ awn coordinator --config examples/spiral.json --port 5555 --workers 2
  $ awn coordinator --config examples/spiral.json --workers 3 --min-workers 2
  $ awn coordinator --config runs/spiral/config.json --resume runs/spiral --workers 2
  $ AWN_CLUSTER_SECRET=$(cat secret) awn coordinator --config run.yaml --host 0.0.0.0 --workers 8
  $ awn coordinator --config run.yaml --host 0.0.0.0 --workers 8 --curve-keys cluster.keys`,
    )
    .action(async (flags: CoordinatorFlags) => {
      const config = await loadRunConfig(flags.config);
      // Every bound before anything starts (no directory, socket or data read for a run that cannot run).
      checkConfigBounds(config);
      checkWorkers(flags, config, false);
      if (flags.resume && flags.out && flags.out !== flags.resume)
        throw new UsageError('--resume names the run directory: drop --out or make it the same');
      if (!flags.resume && flags.out) await checkRunPath(flags.out, { force: flags.force });
      const logger = createLogger({ name: 'awn-coordinator', destination: process.stderr });
      // The coordinator scores the final model on the data: a file it cannot read fails now, not after training.
      await loadRunData(config).catch((error: unknown) => {
        throw error instanceof DataFileError ? new UsageError(`data: ${error.message}`) : error;
      });
      const { secret, curve, protection } = readSecurity(flags.host, flags.curveKeys);
      logger.info({ protection }, `socket protection: ${protection}`);
      // What the coordinator itself runs (it scores the final model); each worker logs its own backend.
      const backend = await selectBackend(config.backend);
      logger.info(
        { backend: backend.name, blas: backend.blas },
        runtimeLine({ backend, worldSize: flags.workers, protection }),
      );
      const out = flags.resume ?? flags.out ?? (await claimDefaultRunPath(config.name));
      const summary = await runCluster({
        config,
        out,
        force: flags.force,
        logger,
        bind: `tcp://${flags.host}:${flags.port}`,
        workers: flags.workers,
        secret,
        curve,
        heartbeatMs: flags.heartbeatMs,
        joinTimeoutMs: flags.joinTimeout * 1000,
        stallTimeoutMs: flags.stallTimeout * 1000,
        collectiveDeadlineMs: flags.collectiveDeadline === undefined ? undefined : flags.collectiveDeadline * 1000,
        metricsEndpoint:
          flags.metrics === false ? undefined : (flags.metrics ?? (process.env.AWN_METRICS_ENDPOINT || undefined)),
        minWorkers: flags.minWorkers,
        rejoinTimeoutMs: flags.rejoinTimeout * 1000,
        resume: flags.resume !== undefined,
        batchPolicy: flags.batchPolicy,
        onStep: (p) => {
          if (p.step % config.training.logEvery === 0)
            logger.info(
              {
                step: p.step,
                generation: p.generation,
                loss: p.loss.total,
                widths: p.widths,
                samplesPerSecond: Math.round(p.samplesPerSecond),
              },
              `step ${p.step}`,
            );
        },
      });
      await printOutcome(summary, out, (text) => process.stdout.write(text));
    });
}
