import { InvalidArgumentError, type Command } from 'commander';
import { TransformerLm } from '@awn/core';
import { UsageError } from '../errors.js';
import { checkBackendFlag, loadCheckpointTarget } from './checkpoint-source.js';
import { parseIntegerOption } from './options.js';

/** Most bytes one `awn generate` writes: each costs a forward pass, so more would run for hours. */
export const MAX_GENERATE_BYTES = 100_000;

interface GenerateFlags {
  prompt: string;
  length: number;
  temperature: number;
  topK: number;
  seed: number;
  backend?: string;
}

function parseTemperature(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(
      `--temperature must be a number ≥ 0 (0 = always the most likely byte), got '${value}'`,
    );
  return n;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('sample text from a language-model checkpoint (model type transformer)')
    .argument('<target>', 'run directory (its newest valid checkpoint is used) or a .awnckpt file')
    .requiredOption('-p, --prompt <text>', 'text the sample continues')
    .option(
      '-n, --length <bytes>',
      `bytes to generate (at most ${MAX_GENERATE_BYTES})`,
      parseIntegerOption('--length', 1, MAX_GENERATE_BYTES),
      200,
    )
    .option(
      '-t, --temperature <t>',
      'softmax temperature; 0 picks the most likely byte every time',
      parseTemperature,
      0.8,
    )
    .option(
      '-k, --top-k <k>',
      'sample among the k most likely bytes only (0: all)',
      parseIntegerOption('--top-k', 0, 256),
      40,
    )
    .option('--seed <n>', 'seed of the sampling: the same seed gives the same text', parseIntegerOption('--seed', 0), 1)
    .option('--backend <name>', "tensor backend: auto, tensorflow, wasm or cpu (default: the run's)")
    .addHelpText(
      'after',
      `
Prints the prompt followed by the generated text.

Examples:
  $ awn generate runs/tiny --prompt "Call me"
  $ awn generate runs/small --prompt "The whale" --length 400 --temperature 0.6 --top-k 20 --seed 7`,
    )
    .action(async (target: string, flags: GenerateFlags) => {
      const backendFlag = checkBackendFlag(flags.backend);
      const { path, state } = await loadCheckpointTarget(target, backendFlag);
      const model = state.model;
      if (!(model instanceof TransformerLm)) {
        throw new UsageError(
          `awn generate needs a language-model checkpoint (model type 'transformer'); ${path} holds a '${model.kind}' model`,
        );
      }
      const text = model.generate(flags.prompt, flags.length, flags.temperature, flags.topK, flags.seed);
      process.stdout.write(`${flags.prompt}${text}\n`);
    });
}
