import { join } from 'node:path';
import { loadTrainingState, type AdaptiveModel } from '@awn/core';
import { writeJsonAtomic, writeReport, type RunSummary } from '@awn/run';
import { formatWidths } from '../progress/progress-view.js';

/** Prompts for the samples printed after a language-model run: a human check of what it learned. */
const PROMPTS = ['Call me Ishmael. ', 'The whale ', 'Captain Ahab '];

interface LanguageModel extends AdaptiveModel {
  generate(prompt: string, n: number, temperature: number, topK: number, seed?: number): string;
}

function isLanguageModel(model: AdaptiveModel): model is LanguageModel {
  return typeof (model as Partial<LanguageModel>).generate === 'function';
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
  write(`\nSamples (${settings}):\n`);
  const samples = PROMPTS.map((prompt, i) => ({ prompt, text: model.generate(prompt, 160, 0.8, 40, i + 1) }));
  for (const s of samples) write(`  ${JSON.stringify((s.prompt + s.text).replace(/\s+/g, ' '))}\n`);
  // The report shows them too: saved beside summary.json, and report.html rebuilt with them.
  await writeJsonAtomic(join(out, 'samples.json'), { settings, samples });
  await writeReport(out);
}
