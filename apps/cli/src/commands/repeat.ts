import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { defaultRunPath } from '@awn/run';
import { loadRunConfig } from '../config/load-config-file.js';
import { RunFailedError, UsageError } from '../errors.js';
import { parseIntegerOption } from './options.js';
import type { SeedResult } from './repeat-seed.js';
import { formatSummary, summarize } from './repeat-summary.js';

interface RepeatFlags {
  config: string;
  seeds: number;
  firstSeed: number;
  parallel: number;
  steps?: number;
  evalEvery?: number;
  backend?: string;
  out?: string;
}

const CHILD = fileURLToPath(new URL('./repeat-child.js', import.meta.url));

/** Seed processes still running: stopped when another seed fails, so the command ends at once. */
const running = new Set<ChildProcess>();

/** Runs one seed in a child process; resolves with its result or rejects with its error output. */
function runSeedProcess(config: object, evalEvery: number | undefined): Promise<SeedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ config, evalEvery })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      const seed = (config as { seed: number }).seed;
      if (code !== 0)
        return reject(
          new RunFailedError(
            `seed ${seed} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-5).join('\n') || 'no output'}`,
          ),
        );
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as SeedResult);
      } catch {
        reject(new RunFailedError(`seed ${seed} printed no result: ${stdout.slice(-200)}`));
      }
    });
  });
}

/** Runs `tasks` with at most `limit` in flight; results keep the tasks' order. */
async function pooled<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}

export function registerRepeat(program: Command): void {
  program
    .command('repeat')
    .description(
      "train one config with several seeds in parallel processes, select each seed's model by validation score, and print mean ± std of test score and total width (next to the paper's Table 1 for its data sets)",
    )
    .requiredOption('-c, --config <file>', 'run config, JSON or YAML (see examples/paper/)')
    .option('--seeds <n>', 'number of seeds', parseIntegerOption('--seeds', 1), 5)
    .option('--first-seed <n>', 'first seed (seeds are consecutive)', parseIntegerOption('--first-seed', 0), 1)
    .option(
      '-p, --parallel <n>',
      'seeds trained at once, each in its own process',
      parseIntegerOption('--parallel', 1),
      2,
    )
    .option('--steps <n>', 'training steps per seed (overrides the config)', parseIntegerOption('--steps', 1))
    .option(
      '--eval-every <n>',
      'steps between validation evaluations (default: training.evalEvery, else one epoch)',
      parseIntegerOption('--eval-every', 1),
    )
    .option('--backend <name>', 'tensor backend: auto, tensorflow, wasm or cpu (overrides the config)')
    .option('-o, --out <file>', 'JSON summary to write (default: runs/<name>-<timestamp>-repeat.json)')
    .addHelpText(
      'after',
      `
A seed sets the data set's draw and split, the initial weights and the growth draws. A seed whose
width sits at model.maxWidth at any step counts as a blow-up, and makes the command exit 1.

Examples:
  $ awn repeat --config examples/paper/spiral.json --seeds 5 --parallel 2
  $ awn repeat --config examples/paper/doublemoon.json --seeds 3 --steps 2000 --out moon.json`,
    )
    .action(async (flags: RepeatFlags) => {
      const base = await loadRunConfig(flags.config, { steps: flags.steps, backend: flags.backend });
      if (base.data.validationFraction === 0 && base.data.dataset !== 'moby-dick')
        throw new UsageError(
          `${flags.config}: awn repeat selects models on the validation split, so data.validationFraction must be > 0`,
        );
      const seeds = Array.from({ length: flags.seeds }, (_, i) => flags.firstSeed + i);
      const started = performance.now();
      process.stderr.write(
        `awn repeat: ${base.name}, seeds ${seeds[0]}–${seeds[seeds.length - 1]}, ${base.training.steps} steps each, ${Math.min(flags.parallel, seeds.length)} at a time\n`,
      );
      let runs: SeedResult[];
      try {
        runs = await pooled(
          seeds.map((seed) => async () => {
            const r = await runSeedProcess({ ...base, seed }, flags.evalEvery);
            process.stderr.write(
              `  seed ${seed}: step ${r.selected.step} selected, test ${r.selected.test.toFixed(4)}, widths ${r.selected.widths.join('·')} (${r.wallSeconds.toFixed(0)} s)\n`,
            );
            return r;
          }),
          flags.parallel,
        );
      } catch (error) {
        for (const child of running) child.kill('SIGTERM');
        throw error;
      }
      const summary = summarize(
        {
          name: base.name,
          dataset: base.data.dataset,
          config: flags.config,
          parallel: Math.min(flags.parallel, seeds.length),
          wallSeconds: (performance.now() - started) / 1e3,
        },
        runs,
      );
      const out = flags.out ?? `${defaultRunPath(base.name)}-repeat.json`;
      await mkdir(dirname(resolve(out)), { recursive: true });
      await writeFile(out, `${JSON.stringify(summary, null, 2)}\n`);
      process.stdout.write(formatSummary(summary));
      process.stdout.write(`summary: ${out}\n`);
      if (summary.blowUps.length > 0)
        throw new RunFailedError(
          `${summary.blowUps.length} of ${runs.length} seeds reached model.maxWidth (seeds ${summary.blowUps.join(', ')})`,
        );
    });
}
