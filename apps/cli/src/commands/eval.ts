import type { Command } from 'commander';
import { parameterCount } from '@awn/core';
import { formatWidths } from '../progress/progress-view.js';
import { checkBackendFlag, experimentFor, loadCheckpointTarget } from './checkpoint-source.js';
import { formatMetric, metricLabel, scoreOn, scoresJson, splitOption, table, type SplitName } from './scoring.js';

interface EvalFlags {
  split: SplitName;
  backend?: string;
  json?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('score a checkpoint on the test (or validation) split of its run')
    .argument('<target>', 'run directory (its newest valid checkpoint is used) or a .awnckpt file')
    .addOption(splitOption())
    .option('--backend <name>', "tensor backend: auto, tensorflow, wasm or cpu (default: the run's)")
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ awn eval runs/moon
  $ awn eval runs/moon/checkpoints/step-00000500.awnckpt --split validation
  $ awn eval runs/moon/checkpoints/truncated-keep0.70.awnckpt --json`,
    )
    .action(async (target: string, flags: EvalFlags) => {
      const backendFlag = checkBackendFlag(flags.backend);
      const loaded = await loadCheckpointTarget(target, backendFlag);
      const { path, state, config, backend } = loaded;
      // The data are rebuilt from the run config: the same seed gives the same splits as training.
      const exp = await experimentFor(loaded);
      const scores = scoreOn(exp, state.model, flags.split);
      const widths = state.model.adaptiveLayers.map((l) => l.width);
      const metric = exp.metric.name;
      if (flags.json) {
        const result = {
          checkpoint: path,
          run: config.name,
          step: state.step,
          split: flags.split,
          backend: backend.name,
          metric,
          widths,
          totalWidth: widths.reduce((a, b) => a + b, 0),
          parameters: parameterCount(state.model),
          scores: scoresJson(scores),
        };
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${table([
          ['checkpoint', `${path} (step ${state.step})`],
          ['run', `${config.name} (${config.data.dataset}, ${state.model.kind})`],
          ['split', `${flags.split}, ${scores.count} ${exp.metric.name === 'bitsPerByte' ? 'bytes' : 'examples'}`],
          ['widths', formatWidths(widths)],
          ['parameters', String(parameterCount(state.model))],
          [metricLabel(metric), formatMetric(metric, scores)],
          ['nll', scores.nll.toPrecision(4)],
          ['backend', backend.name],
        ])}\n`,
      );
    });
}
