// What the chaos suite checks after each round (scripts/chaos.mjs): the newest checkpoint loads,
// no temporary file is left, metrics.jsonl has every logged step once, and the final checkpoint
// is byte-identical to the clean run's.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './procs.mjs';

// The internal entry point: the chaos checks read checkpoint file names (packages/core/src/internal.ts).
const core = await import(pathToFileURL(join(root, 'packages/core/dist/internal.js')).href);

/** The newest checkpoint that verifies, and how many newer files did not. */
export async function newestLoadable(dir) {
  const { latest, skipped } = await core.latestValidCheckpoint(join(dir, 'checkpoints'));
  return { latest: latest?.name, step: latest?.step, skipped: skipped.length };
}

/** Problems of a finished run directory compared with the clean one; empty when nothing was lost. */
export async function compareWithClean(dir, clean, { steps, logEvery }) {
  const problems = [];
  for (const f of ['config.json', 'summary.json', 'report.html', 'metrics.jsonl'])
    if (!existsSync(join(dir, f))) problems.push(`${f} missing`);
  const final = core.checkpointFileName(steps);
  try {
    const [a, b] = await Promise.all([
      readFile(join(dir, 'checkpoints', final)),
      readFile(join(clean, 'checkpoints', final)),
    ]);
    if (!a.equals(b)) problems.push(`${final} differs from the clean run's`);
  } catch (error) {
    problems.push(`${final}: ${error.message}`);
  }
  const left = (await readdir(join(dir, 'checkpoints'))).filter((n) => n.endsWith('.tmp'));
  if (left.length) problems.push(`temporary files left: ${left.join(', ')}`);
  if (existsSync(join(dir, 'metrics.jsonl'))) {
    const steps_ = (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
    const want = Array.from({ length: Math.floor(steps / logEvery) }, (_, i) => (i + 1) * logEvery);
    if (JSON.stringify(steps_) !== JSON.stringify(want))
      problems.push(`metrics.jsonl steps ${steps_.join(',')} are not ${want.join(',')}`);
  }
  return problems;
}

export { core };
