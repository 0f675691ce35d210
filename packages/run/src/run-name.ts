import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { makeDirs } from './make-dirs.js';

/** Default run directory: runs/<name>-<UTC timestamp to the second>. */
export function defaultRunPath(name: string, now = new Date(), root = 'runs'): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join(root, `${name}-${stamp}`);
}

/**
 * A default run directory no other run has: `runs/<name>-<timestamp>`, or the same with `-2`,
 * `-3`, … when runs start in the same second. The directory is made here with an exclusive
 * mkdir, which is what claims the name, so concurrent runs on one file system never share one.
 */
export async function claimDefaultRunPath(name: string, now = new Date(), root = 'runs'): Promise<string> {
  const base = defaultRunPath(name, now, root);
  try {
    await makeDirs(root);
  } catch (error) {
    throw new UsageError(`cannot create ${root}/ for the run directory: ${(error as Error).message}; pass --out`);
  }
  for (let i = 1; i <= 1000; i++) {
    const path = i === 1 ? base : `${base}-${i}`;
    try {
      await mkdir(path);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new UsageError(`cannot create the run directory ${path}: ${(error as Error).message}; pass --out`);
    }
  }
  throw new UsageError(`1000 runs named ${base}-* already exist; pass --out`);
}
