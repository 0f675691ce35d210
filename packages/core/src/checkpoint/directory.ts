/**
 * A directory of step-numbered checkpoints, as the coordinator keeps them: finding the newest one
 * that is intact (a crash can leave the newest damaged on a file system that ignores fsync, or a
 * disk can corrupt one later) and removing old ones without ever deleting the last good state.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from './errors.js';
import type { CheckpointContents } from './format.js';
import { loadCheckpoint, verifyCheckpoint } from './file.js';

/** File extension of checkpoint files. */
export const CHECKPOINT_EXTENSION = '.awnckpt';
const NAME_PATTERN = /^step-(\d{8,})\.awnckpt$/;

/** A checkpoint file found in a directory (not yet verified). */
export interface CheckpointFile {
  path: string;
  name: string;
  step: number;
}

/** A file passed over by {@link latestValidCheckpoint}, and why. */
export interface SkippedCheckpoint extends CheckpointFile {
  reason: string;
  error: CheckpointError;
}

/** The outcome of {@link latestValidCheckpoint}: the newest good checkpoint, if any, and every newer file that was not. */
export interface LatestCheckpointResult {
  latest: (CheckpointFile & { contents: CheckpointContents }) | undefined;
  skipped: SkippedCheckpoint[];
}

/** Canonical file name for a step: `step-00000123.awnckpt`; zero-padded so names sort by step. */
export function checkpointFileName(step: number): string {
  if (!Number.isSafeInteger(step) || step < 0)
    throw new RangeError(`checkpoint step must be a non-negative integer, got ${step}`);
  return `step-${String(step).padStart(8, '0')}${CHECKPOINT_EXTENSION}`;
}

/** The step encoded in a checkpoint file name, or undefined for any other file (temp files included). */
export function parseCheckpointFileName(name: string): number | undefined {
  const m = NAME_PATTERN.exec(name);
  if (!m) return undefined;
  const step = Number(m[1]);
  return Number.isSafeInteger(step) ? step : undefined;
}

/** A temporary file {@link saveCheckpoint} writes before its rename: `.<name>.<pid>.<n>.tmp`. */
const TEMP_PATTERN = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * Removes the temporary files that saves killed mid-write left in `dir` (a killed process never
 * reaches its own clean-up), and returns their paths. Only files whose writer is gone are
 * removed: a live process on this machine may still be renaming its own. A missing directory
 * holds none.
 */
export async function removeOrphanedTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_PATTERN.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    await fsp.rm(join(dir, name), { force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Checkpoint files in `dir`, oldest step first, without reading them. A missing directory is an
 * empty list (a fresh run has nothing to resume); a path that is not a directory is an error.
 */
export async function listCheckpoints(dir: string): Promise<CheckpointFile[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CheckpointError(dir, 'io', `checkpoint directory could not be listed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const files: CheckpointFile[] = [];
  for (const name of names) {
    const step = parseCheckpointFileName(name);
    if (step !== undefined) files.push({ path: join(dir, name), name, step });
  }
  return files.sort((a, b) => a.step - b.step || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Loads the newest checkpoint in `dir` that verifies (and has `expect.kind`, when given). Newer
 * files that fail are skipped and reported with the reason, so the caller can log them; only
 * `CheckpointError`s are skipped, anything else propagates.
 */
export async function latestValidCheckpoint(dir: string, expect?: { kind?: string }): Promise<LatestCheckpointResult> {
  const files = await listCheckpoints(dir);
  const skipped: SkippedCheckpoint[] = [];
  for (let i = files.length - 1; i >= 0; i--) {
    try {
      const contents = await loadCheckpoint(files[i].path, expect);
      return { latest: { ...files[i], contents }, skipped };
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      skipped.push({ ...files[i], reason: err.message, error: err });
    }
  }
  return { latest: undefined, skipped };
}

/**
 * Deletes old checkpoints, keeping the newest `keep` that verify and every file newer than the
 * oldest of those (damaged newer files stay for inspection). Never deletes anything when fewer
 * than `keep` valid checkpoints exist, so the last good state always survives. Returns the
 * removed paths.
 */
export async function pruneCheckpoints(dir: string, keep: number, expect?: { kind?: string }): Promise<string[]> {
  if (!Number.isSafeInteger(keep) || keep < 1)
    throw new RangeError(`pruneCheckpoints: keep must be an integer >= 1, got ${keep}`);
  const files = await listCheckpoints(dir);
  let valid = 0;
  let cut = -1;
  for (let i = files.length - 1; i >= 0; i--) {
    try {
      await verifyCheckpoint(files[i].path, expect);
    } catch (err) {
      if (err instanceof CheckpointError) continue;
      throw err;
    }
    if (++valid === keep) {
      cut = i;
      break;
    }
  }
  const removed: string[] = [];
  for (let i = 0; i < cut; i++) {
    await fsp.rm(files[i].path, { force: true });
    removed.push(files[i].path);
  }
  return removed;
}
