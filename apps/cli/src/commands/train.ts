import { Option, type Command } from 'commander';
import { createLogger } from '@awn/telemetry';
import { loadRunConfig } from '../config/load-config-file.js';
import { checkRunPath, claimDefaultRunPath, writeJsonAtomic } from '@awn/run';
import { trainLocal } from '../train/train-local.js';
import { trainCluster } from '../train/train-cluster.js';
import { printOutcome } from '../train/print-outcome.js';
import { EXIT_INTERRUPTED, UsageError } from '../errors.js';
import { join, resolve } from 'node:path';
import { BACKEND_NAMES, DataFileError, loadRunData } from '@awn/core';
import { resumeConfig } from '../train/resume-config.js';
import { MAX_PORT, parseIntegerOption } from './options.js';
import { checkConfigBounds, checkWorkers, LIMITS } from '../config/bounds.js';
import { InvalidArgumentError } from 'commander';
import { parseMemorySize } from '@awn/core';
import { assertMemory, checkMemory, formatMemoryCheck } from '../train/memory-check.js';

function parseMemoryOption(value: string): number {
  try {
    return parseMemorySize(value);
  } catch (error) {
    throw new InvalidArgumentError(`--memory-limit: ${(error as Error).message}`);
  }
}

interface TrainFlags {
  config?: string;
  resume?: string;
  configChangeOk?: boolean;
  out?: string;
  force?: boolean;
  backend?: string;
  seed?: number;
  steps?: number;
  printConfig?: boolean;
  workers?: number;
  metricsPort?: number;
  metrics: boolean;
  metricsEndpoint?: string;
  minWorkers?: number;
  batchPolicy: 'global' | 'per-worker';
  dryRun?: boolean;
  memoryLimit?: number;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'train an adaptive-width model and write a run directory (config, metrics, checkpoints, summary, report)',
    )
    .option('-c, --config <file>', 'run config, JSON or YAML (see examples/)')
    .option(
      '--resume <run-dir>',
      'continue RUN_DIR from its newest valid checkpoint, with its own config (one process or --workers N)',
    )
    .option(
      '--config-change-ok',
      "with --resume: accept a --config or --steps/--seed/--backend that differs from the run's config",
    )
    .option('-o, --out <dir>', 'run directory to create (default: runs/<name>-<timestamp>)')
    .option('--force', 'replace the run directory if it exists')
    .addOption(new Option('--backend <name>', 'tensor backend (overrides the config)').choices([...BACKEND_NAMES]))
    .option(
      '--seed <n>',
      'seed of data, initialisation and growth (overrides the config)',
      parseIntegerOption('--seed', 0),
    )
    .option(
      '--steps <n>',
      'number of training steps (overrides the config)',
      parseIntegerOption('--steps', 1, LIMITS.steps),
    )
    .option(
      '-w, --workers <n>',
      'data-parallel: start a coordinator here and N local worker processes (omit for one process, no sockets)',
      parseIntegerOption('--workers', 1),
    )
    .option(
      '--metrics-port <port>',
      'with --workers: HTTP port of the Prometheus /metrics endpoint started for the run (0: any free port)',
      parseIntegerOption('--metrics-port', 0, MAX_PORT),
      9464,
    )
    .option('--no-metrics', 'with --workers: start no metrics exporter')
    .option(
      '--metrics-endpoint <endpoint>',
      'with --workers: push metrics to a running `awn metrics-exporter` (its --listen address) instead of starting one',
    )
    .option(
      '--min-workers <n>',
      'with --workers: keep training with at least N workers if some are lost (default: all)',
      parseIntegerOption('--min-workers', 1),
    )
    .addOption(
      new Option(
        '--batch-policy <policy>',
        "with --min-workers: when the world size changes, keep the global batch or each worker's batch",
      )
        .choices(['global', 'per-worker'])
        .default('global'),
    )
    .option('--print-config', 'print the resolved config with every default and exit')
    .option(
      '--dry-run',
      'print the memory the run needs (parameters, optimizer state, activations per batch, peak) and whether it fits, then exit',
    )
    .option(
      '--memory-limit <size>',
      'memory the run may use, e.g. 16G or 512M (default: what the OS reports available); a run that needs more is refused at start-up',
      parseMemoryOption,
    )
    .addHelpText(
      'after',
      `
Examples:
  $ awn train --config examples/spiral.json
  $ awn train --config examples/spiral.json --workers 2
  $ awn train --config examples/doublemoon.json --out runs/moon --steps 500 --backend cpu
  $ awn train --config examples/spiral.json --print-config
  $ awn train --config examples/large.json --dry-run --memory-limit 16G
  $ awn train --resume runs/spiral-20260101-120000
  $ awn train --resume runs/spiral-20260101-120000 --steps 3000 --config-change-ok
  $ awn train --config examples/csv.json          # your own CSV (see docs/data.md)`,
    )
    .action(async (flags: TrainFlags) => {
      const overrides = { seed: flags.seed, steps: flags.steps, backend: flags.backend };
      if (!flags.config && !flags.resume) throw new UsageError('give --config FILE (a new run) or --resume RUN_DIR');
      if (flags.resume && flags.out && resolve(flags.out) !== resolve(flags.resume))
        throw new UsageError('--resume names the run directory: drop --out or make it the same');
      if (flags.resume && flags.force)
        throw new UsageError('--force replaces a run directory; it cannot be combined with --resume');
      if (flags.configChangeOk && !flags.resume) throw new UsageError('--config-change-ok only applies with --resume');
      const resumed = flags.resume
        ? await resumeConfig(flags.resume, flags.config, overrides, flags.configChangeOk === true)
        : undefined;
      const config = resumed?.config ?? (await loadRunConfig(flags.config!, overrides));
      if (flags.printConfig) {
        process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
        return;
      }
      // Every bound before anything starts: no directory, socket or process for a run that cannot run.
      checkConfigBounds(config);
      checkWorkers(flags, config, true);
      if (!flags.resume && flags.out) await checkRunPath(flags.out, { force: flags.force });
      const memory = checkMemory(config, { processes: flags.workers ?? 1, memoryLimit: flags.memoryLimit });
      if (flags.dryRun) {
        process.stdout.write(formatMemoryCheck(config, memory));
        if (!memory.fits) process.exitCode = 2;
        return;
      }
      assertMemory(memory);
      const logger = createLogger({ name: 'awn-train', destination: process.stderr });
      if (resumed?.changed.length)
        logger.warn({ changed: resumed.changed }, `resuming with a changed config: ${resumed.changed.join(', ')}`);
      // Data first: a bad file is reported (exit 2) before any directory, socket or process exists.
      const data = await loadRunData(config).catch((error: unknown) => {
        throw error instanceof DataFileError ? new UsageError(`data: ${error.message}`) : error;
      });
      // A default name is claimed (made, exclusively) only now that every input has been checked.
      const out = flags.resume ?? flags.out ?? (await claimDefaultRunPath(config.name));
      // The cluster path checks config.json against the config it is given: record an accepted change first.
      if (resumed?.changed.length) await writeJsonAtomic(join(out, 'config.json'), config);
      if (flags.workers && (process.env.AWN_CURVE_PUBLIC_KEY || process.env.AWN_CURVE_SECRET_KEY)) {
        // The coordinator and workers of `train --workers` talk over loopback only; the local workers
        // inherit this environment and must not expect CURVE from a coordinator that does not use it.
        delete process.env.AWN_CURVE_PUBLIC_KEY;
        delete process.env.AWN_CURVE_SECRET_KEY;
        logger.info('local cluster on loopback: the CURVE keys in the environment are not used');
      }
      let interrupted = false;
      let stopCluster: (() => void) | undefined;
      const onSigint = () => {
        if (interrupted) process.exit(EXIT_INTERRUPTED);
        interrupted = true;
        logger.warn(
          `interrupted: finishing the current step, then writing a checkpoint, summary and report (Ctrl-C again to abort); continue later with: awn train --resume ${out}${flags.workers ? ` --workers ${flags.workers}` : ''}`,
        );
        stopCluster?.();
      };
      process.on('SIGINT', onSigint);
      try {
        const resume = flags.resume !== undefined;
        const summary = flags.workers
          ? await trainCluster({
              config,
              data,
              out,
              resume,
              force: flags.force,
              logger,
              workers: flags.workers,
              metricsPort: flags.metrics ? flags.metricsPort : null,
              metricsEndpoint: flags.metricsEndpoint,
              minWorkers: flags.minWorkers,
              batchPolicy: flags.batchPolicy,
              onStopHandle: (stop) => (stopCluster = stop),
            })
          : await trainLocal({ config, data, out, resume, force: flags.force, logger, shouldStop: () => interrupted });
        await printOutcome(summary, out, (text) => process.stdout.write(text));
        if (summary.status === 'interrupted')
          process.stdout.write(
            `\nContinue with: awn train --resume ${out}${flags.workers ? ` --workers ${flags.workers}` : ''}\n`,
          );
        if (summary.status === 'interrupted') process.exitCode = EXIT_INTERRUPTED;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
