import { join } from 'node:path';
import { loadTrainingState, parameterCount, type AdaptiveModel } from '@awn/core';
import { writeJsonAtomic, writeReport, type RunSummary } from '@awn/run';
import { formatWidths } from '../progress/progress-view.js';

/** Prompts for the samples printed after a language-model run: a human check of what it learned. */
const PROMPTS = ['Call me Ishmael. ', 'The whale ', 'Captain Ahab '];

/** Bytes generated per prompt for a model small enough to sample fully. */
const SAMPLE_BYTES = 160;
/**
 * Arithmetic the samples may cost (floating-point operations): about half a minute of one core.
 * Generating a byte runs the model over its whole context (≈ 2 × parameters × context operations),
 * so a 100M-parameter model would spend over 20 minutes on three full samples.
 */
const SAMPLE_BUDGET_FLOPS = 2e12;

interface LanguageModel extends AdaptiveModel {
  readonly config: { readonly context: number };
  generate(prompt: string, n: number, temperature: number, topK: number, seed?: number): string;
}

function isLanguageModel(model: AdaptiveModel): model is LanguageModel {
  return typeof (model as Partial<LanguageModel>).generate === 'function';
}

/** How many prompts and bytes per prompt the samples can afford for `model` (0 bytes: none). */
export function sampleBudget(parameters: number, context: number): { prompts: number; bytes: number } {
  const perByte = 2 * parameters * context;
  const total = Math.floor(SAMPLE_BUDGET_FLOPS / perByte);
  if (total >= PROMPTS.length * SAMPLE_BYTES) return { prompts: PROMPTS.length, bytes: SAMPLE_BYTES };
  // Fewer, shorter samples: one prompt first, as long as the budget allows (at least a few words).
  const bytes = Math.min(SAMPLE_BYTES, total);
  return bytes >= 24 ? { prompts: 1, bytes } : { prompts: 0, bytes: 0 };
}

/** The headline score of a summary, named by its metric. */
export function describeScore(summary: RunSummary): string {
  const t = summary.test;
  if (t.bitsPerByte !== undefined) return `test ${t.bitsPerByte.toFixed(3)} bits/byte`;
  if (t.accuracy !== undefined) return `test accuracy ${(t.accuracy * 100).toFixed(2)} %`;
  return `test mse ${t.mse}`;
}

/** What the user sees when `awn train` ends: the outcome, where the run directory is, and for language models a few generated lines. */
export async function printOutcome(summary: RunSummary, out: string, write: (s: string) => void): Promise<void> {
  const workers = `${summary.worldSize} worker${summary.worldSize > 1 ? 's' : ''}`;
  write(
    `\n${summary.status === 'completed' ? 'Finished' : 'Stopped'} ${summary.name} after ${summary.steps} steps on ${workers}: ${describeScore(summary)}, widths ${formatWidths(summary.widths)}\n` +
      `Run directory: ${out}\n  summary: ${out}/summary.json\n  report:  ${out}/report.html\n`,
  );
  if (!summary.checkpoint) return;
  const { model } = await loadTrainingState(join(out, summary.checkpoint));
  if (!isLanguageModel(model)) return;
  const settings = 'temperature 0.8, top-k 40';
  const budget = sampleBudget(parameterCount(model), model.config.context);
  const more = `\`awn generate ${out} --length N\` writes longer ones`;
  if (budget.prompts === 0) {
    write(`\nNo samples: the model is too large to sample in a moment on this CPU; ${more}.\n`);
    return;
  }
  const shortened = budget.prompts < PROMPTS.length ? ` — shortened for a model this large; ${more}` : '';
  write(`\nSamples (${settings}${shortened}):\n`);
  const samples = PROMPTS.slice(0, budget.prompts).map((prompt, i) => ({
    prompt,
    text: model.generate(prompt, budget.bytes, 0.8, 40, i + 1),
  }));
  for (const s of samples) write(`  ${JSON.stringify((s.prompt + s.text).replace(/\s+/g, ' '))}\n`);
  // The report shows them too: saved beside summary.json, and report.html rebuilt with them.
  await writeJsonAtomic(join(out, 'samples.json'), { settings, samples });
  await writeReport(out);
}
