import type { Command } from 'commander';
import { writeReport } from '@awn/run';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('rebuild report.html of a run directory from its metrics.jsonl and summary.json')
    .argument('<run-dir>', 'run directory written by awn train')
    .addHelpText('after', '\nExample:\n  $ awn report runs/spiral-20261125-120000')
    .action(async (runDir: string) => {
      const path = await writeReport(runDir);
      process.stdout.write(`report written to ${path}\n`);
    });
}
