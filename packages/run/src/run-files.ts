import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseCheckpointFileName } from '@awn/core/internal';
import { LOCK_FILE } from './run-lock.js';

/** Files an awn run writes at the top of its directory (docs/cli.md, "The run directory"). */
const RUN_FILES = new Set([
  'config.json',
  'preprocessing.json',
  'samples.json',
  'metrics.jsonl',
  'summary.json',
  'report.html',
  LOCK_FILE,
]);

/** A model `awn truncate` wrote into the run directory by default. */
function isTruncatedModel(name: string): boolean {
  return /^truncated-.*\.awnckpt$/.test(name);
}

/**
 * The run directory whose checkpoints/ holds `file`, if it is in one: awn's own checkpoints
 * live there and nothing else may write into it (the newest file there is what eval and resume
 * pick).
 */
export async function runOfCheckpointsDir(file: string): Promise<string | undefined> {
  const dir = dirname(resolve(file));
  if (basename(dir) !== 'checkpoints') return undefined;
  const run = dirname(dir);
  try {
    await stat(join(run, 'config.json'));
    return run;
  } catch {
    return undefined;
  }
}

/** A temporary file of an atomic write (`x.<pid>.tmp`, `.x.<pid>.<n>.tmp`, older `x.tmp-<pid>`). */
export function isTemporary(name: string): boolean {
  return /\.tmp$/.test(name) || /\.tmp-\d+$/.test(name);
}

/** A file awn itself puts in checkpoints/: a step checkpoint, a truncated model, a temporary file. */
function isCheckpointEntry(name: string): boolean {
  return (
    parseCheckpointFileName(name) !== undefined ||
    parseCheckpointFileName(name.replace(/^diverged-/, '')) !== undefined ||
    isTruncatedModel(name) ||
    isTemporary(name)
  );
}

async function emptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch {
    return true;
  }
}

/**
 * Entries of a would-be run directory that awn did not write (a user's notes, data, another
 * tool's output), as paths relative to it; empty for a recognisable run directory. A directory
 * without config.json is not one, whatever else it holds.
 */
export async function foreignEntries(dir: string, entries: string[]): Promise<string[]> {
  const foreign: string[] = [];
  // A run killed as it started may have made only checkpoints/ (empty) and its lock.
  const startedOnly = entries.every((n) => n === 'checkpoints' || n === LOCK_FILE || isTemporary(n));
  if (!entries.includes('config.json') && !(startedOnly && (await emptyDir(join(dir, 'checkpoints')))))
    foreign.push('no config.json');
  for (const name of entries) {
    if (RUN_FILES.has(name) || isTemporary(name) || isTruncatedModel(name)) {
      if ((await stat(join(dir, name))).isDirectory()) foreign.push(`${name}/`);
      continue;
    }
    if (name !== 'checkpoints') {
      foreign.push(name);
      continue;
    }
    const ckpt = join(dir, name);
    if (!(await stat(ckpt)).isDirectory()) {
      foreign.push(name);
      continue;
    }
    for (const inner of await readdir(ckpt)) {
      const isFile = (await stat(join(ckpt, inner))).isFile();
      if (!isFile || !isCheckpointEntry(inner)) foreign.push(`checkpoints/${inner}`);
    }
  }
  return foreign;
}
