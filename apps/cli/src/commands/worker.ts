import type { Command } from 'commander';
import { hostname } from 'node:os';
import { runWorker } from '@awn/worker';
import { createLogger } from '@awn/telemetry';
import { loadRunConfig } from '../config/load-config-file.js';
import { MAX_PORT, MAX_TIMEOUT_S, parseIntegerOption } from './options.js';
import { readSecurity } from './secret.js';
import { UsageError } from '../errors.js';

interface WorkerFlags {
  coordinator: string;
  config?: string;
  runId?: string;
  host: string;
  advertise?: string;
  dataPort?: number;
  joinTimeout: number;
  metrics?: string;
  curveKeys?: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run one data-parallel worker that joins a coordinator')
    .requiredOption('--coordinator <address>', 'coordinator control address, e.g. tcp://10.0.0.5:5555')
    .option(
      '-c, --config <file>',
      "this worker's copy of the run config: the coordinator refuses the worker if it differs",
    )
    .option('--run-id <id>', 'join only this run')
    .option('--host <address>', 'interface the collective endpoint binds', '127.0.0.1')
    .option('--advertise <host>', 'host name or address peers use to reach this worker (default: --host)')
    .option(
      '--data-port <port>',
      'port of the collective endpoint (default: a free one)',
      parseIntegerOption('--data-port', 1, MAX_PORT),
    )
    .option(
      '--join-timeout <s>',
      'seconds to wait for the coordinator to accept this worker',
      parseIntegerOption('--join-timeout', 1, MAX_TIMEOUT_S),
      120,
    )
    .option(
      '--curve-keys <file>',
      'cluster CURVE keypair from `awn keygen` (default: $AWN_CURVE_PUBLIC_KEY and $AWN_CURVE_SECRET_KEY)',
    )
    .option(
      '--metrics <endpoint>',
      'metrics exporter snapshot endpoint (default: $AWN_METRICS_ENDPOINT, else what the coordinator announces)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ awn worker --coordinator tcp://127.0.0.1:5555
  $ AWN_CLUSTER_SECRET=$(cat secret) awn worker --coordinator tcp://coord:5555 --host 0.0.0.0 --advertise $(hostname -i)
  $ awn worker --coordinator tcp://coord:5555 --host 0.0.0.0 --curve-keys cluster.keys`,
    )
    .action(async (flags: WorkerFlags) => {
      if (!/^tcp:\/\/[^:]+:\d+$/.test(flags.coordinator))
        throw new UsageError(`--coordinator must look like tcp://HOST:PORT, got '${flags.coordinator}'`);
      if (process.env.AWN_WORKER_IGNORE_SIGINT === '1') process.on('SIGINT', () => undefined);
      const config = flags.config ? await loadRunConfig(flags.config) : undefined;
      const { secret, curve, protection } = readSecurity(flags.host, flags.curveKeys);
      const logger = createLogger({ name: 'awn-worker', destination: process.stderr });
      logger.info({ protection }, `socket protection: ${protection}`);
      const outcome = await runWorker({
        coordinator: flags.coordinator,
        logger,
        config,
        runId: flags.runId,
        secret,
        curve,
        bindHost: flags.host,
        advertiseHost: flags.advertise ?? (flags.host === '0.0.0.0' ? hostname() : flags.host),
        dataPort: flags.dataPort,
        joinTimeoutMs: flags.joinTimeout * 1000,
        metricsEndpoint: flags.metrics ?? (process.env.AWN_METRICS_ENDPOINT || undefined),
      });
      if (outcome.exitCode !== 0) process.stderr.write(`awn worker: ${outcome.reason}\n`);
      process.exitCode = outcome.exitCode;
    });
}
