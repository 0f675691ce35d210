#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerTrain } from './commands/train.js';
import { registerReport } from './commands/report.js';
import { registerCoordinator } from './commands/coordinator.js';
import { registerWorker } from './commands/worker.js';
import { registerMetricsExporter } from './commands/metrics-exporter.js';
import { registerEval } from './commands/eval.js';
import { registerTruncate } from './commands/truncate.js';
import { registerGenerate } from './commands/generate.js';
import { registerKeygen } from './commands/keygen.js';
import { registerRepeat } from './commands/repeat.js';
import { registerEnv } from './commands/env.js';
import { RunFailedError, UsageError } from './errors.js';
import { DataFileError } from '@awn/core';
import { AWN_VERSION } from '@awn/telemetry';
import { DivergedError } from '@awn/run';

const program = new Command()
  .name('awn')
  .description('Train neural networks that learn their own layer widths (Adaptive Width Networks).')
  .version(AWN_VERSION)
  .exitOverride()
  // A usage error is one line (the flag, its allowed values) with the hint on the same line.
  .configureOutput({ outputError: (text, write) => write(text.replace(/\n*$/, ' (run with --help for usage)\n')) });

registerTrain(program);
registerCoordinator(program);
registerWorker(program);
registerMetricsExporter(program);
registerEval(program);
registerTruncate(program);
registerReport(program);
registerGenerate(program);
registerKeygen(program);
registerRepeat(program);
registerEnv(program);

// Output piped into a reader that stopped (`awn … | head`): end quietly, as other tools do.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; every usage mistake exits 2 like the config errors.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof DataFileError) {
    // A bad data file read outside the commands' own checks (e.g. by a worker) is still the user's input.
    process.stderr.write(`awn: data: ${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof UsageError || error instanceof RunFailedError || error instanceof DivergedError) {
    process.stderr.write(`awn: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`awn: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
