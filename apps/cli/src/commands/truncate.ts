import { InvalidArgumentError, Option, type Command } from 'commander';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { runOfCheckpointsDir } from '@awn/run';
import {
  CheckpointError,
  createOptimizer,
  parameterCount,
  saveTrainingState,
  truncate,
  type AdaptiveModel,
  type TruncationTarget,
} from '@awn/core';
import { formatWidths } from '../progress/progress-view.js';
import { UsageError } from '../errors.js';
import { checkBackendFlag, experimentFor, loadCheckpointTarget } from './checkpoint-source.js';
import { formatMetric, metricLabel, scoreOn, scoresJson, splitOption, table, type SplitName } from './scoring.js';

interface TruncateFlags {
  keep?: number;
  widths?: number[];
  out?: string;
  force?: boolean;
  split: SplitName;
  backend?: string;
  json?: boolean;
}

function parseKeep(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`--keep must be a fraction in (0, 1], got '${value}'`);
  return n;
}

function parseWidths(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const widths = parts.map(Number);
  if (parts.some((s) => s === '') || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new InvalidArgumentError(
      `--widths must be positive integers separated by commas, e.g. 40,30; got '${value}'`,
    );
  }
  return widths;
}

/** Checks --widths against the model: one width per adaptive layer, none above its current width. */
function checkWidths(widths: number[], model: AdaptiveModel): void {
  const current = model.adaptiveLayers.map((l) => l.width);
  if (widths.length !== current.length) {
    throw new UsageError(
      `--widths needs ${current.length} width${current.length === 1 ? '' : 's'} (one per adaptive layer; now ${current.join(',')}), got ${widths.length}`,
    );
  }
  widths.forEach((w, i) => {
    if (w > current[i])
      throw new UsageError(`--widths: layer ${i} can keep at most its current ${current[i]} neurons, got ${w}`);
  });
}

/**
 * Default output, named by the request so different cuts do not collide: in the run directory
 * when the source is one of its checkpoints (never in checkpoints/ itself), else next to the source.
 */
async function defaultOut(source: string, flags: TruncateFlags): Promise<string> {
  const tag = flags.widths ? `widths${flags.widths.join('-')}` : `keep${flags.keep!.toFixed(2)}`;
  const run = await runOfCheckpointsDir(source);
  return join(run ?? dirname(source), `truncated-${tag}.awnckpt`);
}

/** Refuses an --out that is the source, a directory, inside a run's checkpoints/, or (without --force) any existing file. */
async function checkOut(out: string, source: string, force: boolean): Promise<void> {
  if (resolve(out) === resolve(source))
    throw new UsageError(`--out ${out} is the source checkpoint; truncate never overwrites its source`);
  const run = await runOfCheckpointsDir(out);
  if (run)
    throw new UsageError(
      `--out ${out} is inside the checkpoints/ of run ${run}, which holds only the run's own checkpoints; write it elsewhere, e.g. ${join(run, basename(out))}`,
    );
  let exists = false;
  try {
    if ((await stat(out)).isDirectory())
      throw new UsageError(`--out ${out} is a directory; give a file name such as ${join(out, 'small.awnckpt')}`);
    exists = true;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UsageError(`--out ${out}: ${(error as Error).message}`);
  }
  if (exists && !force)
    throw new UsageError(`--out ${out} already exists; pass --force to replace it or choose another file`);
}

export function registerTruncate(program: Command): void {
  program
    .command('truncate')
    .description(
      'keep the most important neurons of every adaptive layer and write the smaller model as a new checkpoint',
    )
    .argument('<target>', 'run directory (its newest valid checkpoint is used) or a .awnckpt file')
    .addOption(
      new Option('--keep <fraction>', 'fraction of neurons to keep in every adaptive layer, in (0, 1]')
        .argParser(parseKeep)
        .conflicts('widths'),
    )
    .addOption(
      new Option('--widths <list>', 'width to keep per adaptive layer, comma-separated (e.g. 40,30)').argParser(
        parseWidths,
      ),
    )
    .option(
      '-o, --out <file>',
      'checkpoint to write (default: truncated-keep<F>.awnckpt or truncated-widths<W>.awnckpt next to the source)',
    )
    .option('--force', 'replace --out if it exists')
    .addOption(splitOption())
    .option('--backend <name>', "tensor backend: auto, tensorflow, wasm or cpu (default: the run's)")
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
The kept neurons are the first ones of each layer, which training keeps ordered by importance,
so no retraining is needed. The new checkpoint can be scored with awn eval.

Examples:
  $ awn truncate runs/moon --keep 0.7
  $ awn truncate runs/moon --widths 40,30 --out runs/moon/small.awnckpt
  $ awn eval runs/moon/truncated-keep0.70.awnckpt`,
    )
    .action(async (target: string, flags: TruncateFlags) => {
      if (flags.keep === undefined && flags.widths === undefined)
        throw new UsageError('give --keep FRACTION or --widths W1,W2,… (what to keep)');
      const backendFlag = checkBackendFlag(flags.backend);
      const loaded = await loadCheckpointTarget(target, backendFlag);
      const { path, state, config } = loaded;
      if (flags.widths) checkWidths(flags.widths, state.model);
      const out = flags.out ?? (await defaultOut(path, flags));
      await checkOut(out, path, flags.force === true);

      const targetWidths: TruncationTarget = flags.widths ?? { fraction: flags.keep! };
      const small = truncate(state.model, targetWidths);
      const exp = await experimentFor(loaded);
      const before = scoreOn(exp, state.model, flags.split);
      const after = scoreOn(exp, small, flags.split);
      // The optimizer moments belong to the removed neurons' layout, so the small model starts a
      // fresh optimizer of the same kind: resuming training from it is then well defined.
      try {
        await saveTrainingState(out, {
          model: small,
          optimizer: createOptimizer(config.training.optimizer),
          step: state.step,
          cursor: state.cursor,
          extra: {
            ...state.extra,
            runConfig: config,
            truncatedFrom: { checkpoint: path, widths: state.model.adaptiveLayers.map((l) => l.width) },
          },
        });
      } catch (error) {
        if (error instanceof CheckpointError) throw new UsageError(`--out: ${error.message}`);
        throw error;
      }

      const metric = exp.metric.name;
      const row = (model: AdaptiveModel) => {
        const widths = model.adaptiveLayers.map((l) => l.width);
        return { widths, totalWidth: widths.reduce((a, b) => a + b, 0), parameters: parameterCount(model) };
      };
      if (flags.json) {
        const result = {
          source: path,
          out,
          split: flags.split,
          metric,
          before: { ...row(state.model), scores: scoresJson(before) },
          after: { ...row(small), scores: scoresJson(after) },
        };
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const b = row(state.model);
      const a = row(small);
      process.stdout.write(
        `${table([
          ['source', `${path} (step ${state.step})`],
          ['written', out],
          ['widths', `${formatWidths(b.widths)}  →  ${formatWidths(a.widths)}`],
          ['parameters', `${b.parameters}  →  ${a.parameters} (${((100 * a.parameters) / b.parameters).toFixed(1)} %)`],
          [
            `${flags.split} ${metricLabel(metric)}`,
            `${formatMetric(metric, before)}  →  ${formatMetric(metric, after)}`,
          ],
          [`${flags.split} nll`, `${before.nll.toPrecision(4)}  →  ${after.nll.toPrecision(4)}`],
        ])}\n` +
          `\nThe truncated model is this file: awn eval ${out} (awn eval RUN_DIR scores the newest training checkpoint)\n`,
      );
    });
}
