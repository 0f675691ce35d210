import type { Command } from 'commander';
import { EXPORTER_USAGE, runMetricsExporter } from '@awn/metrics-exporter';

/** The exporter's own usage text, shown under the name users type here. */
const USAGE = `${EXPORTER_USAGE.replace('Usage: metrics-exporter', 'Usage: awn metrics-exporter')}

Examples:
  $ awn metrics-exporter --port 9464
  $ awn metrics-exporter --host 127.0.0.1 --port 9100 --listen tcp://0.0.0.0:9465 --stale-after 60
`;

/**
 * A thin pass-through: the exporter parses its own flags (one parser, one help text, the same
 * behaviour as the standalone binary), so commander is told to keep its hands off every argument,
 * --help included.
 */
export function registerMetricsExporter(program: Command): void {
  program
    .command('metrics-exporter')
    .description('receive telemetry snapshots from awn processes and serve /metrics for Prometheus')
    .argument(
      '[options...]',
      'exporter flags: --port, --host, --listen, --stale-after (see awn metrics-exporter --help)',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    // `awn help metrics-exporter` prints commander's help of this command: make it the exporter's.
    .configureHelp({ formatHelp: () => USAGE })
    .action(async (_options: string[], _flags: unknown, command: Command) => {
      const args = command.args;
      if (args.includes('--help') || args.includes('-h')) {
        process.stdout.write(USAGE);
        return;
      }
      process.exitCode = await runMetricsExporter(args);
    });
}
