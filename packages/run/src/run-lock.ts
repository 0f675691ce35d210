import { unlinkSync } from 'node:fs';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';

/** The lock file of a run directory: present while a process trains into it. */
export const LOCK_FILE = '.awn-run.lock';

interface LockHolder {
  pid: number;
  host: string;
  started: string;
}

/** Locks this process holds, released at exit even when the run ends by an exception. */
const held = new Set<string>();
process.on('exit', () => {
  for (const path of held) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  }
});

function alive(holder: LockHolder): boolean {
  // A lock from another host (a shared file system) cannot be checked, so it counts as held.
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const h = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

function inUse(dir: string, h: LockHolder): UsageError {
  return new UsageError(
    `run directory ${dir} is in use by another awn process (pid ${h.pid} on ${h.host}, since ${h.started}); choose another --out`,
  );
}

/**
 * An exclusive lock on a run directory, held for the run's life: created with O_EXCL, so of two
 * processes that reach the same directory at once exactly one proceeds. A lock left by a killed
 * process (its pid is gone on this host) is taken over; one whose holder lives is refused.
 */
export class RunLock {
  private constructor(readonly path: string) {}

  static async acquire(dir: string): Promise<RunLock> {
    const path = join(dir, LOCK_FILE);
    const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(path, 'wx', 0o644);
        try {
          await handle.writeFile(`${JSON.stringify(me)}\n`);
        } finally {
          await handle.close();
        }
        held.add(path);
        return new RunLock(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw new UsageError(`cannot lock run directory ${dir}: ${(error as Error).message}`);
      }
      const holder = await readHolder(path);
      // A lock being written this instant reads empty: that writer is alive.
      if (!holder || alive(holder)) throw inUse(dir, holder ?? { pid: 0, host: 'this host', started: 'now' });
      // Stale: move it aside under a name of our own, so two processes taking over at once cannot
      // both succeed; if what we moved was live after all, put it back and give way.
      const aside = `${path}.${process.pid}.stale.tmp`;
      try {
        await rename(path, aside);
      } catch {
        continue;
      }
      const moved = await readHolder(aside);
      if (moved && alive(moved)) {
        await link(aside, path).catch(() => undefined);
        await unlink(aside).catch(() => undefined);
        throw inUse(dir, moved);
      }
      await unlink(aside).catch(() => undefined);
    }
    throw new UsageError(`cannot lock run directory ${dir}: another process keeps taking it`);
  }

  /** Removes the lock if it is still this process's. */
  async release(): Promise<void> {
    if (!held.delete(this.path)) return;
    const holder = await readHolder(this.path);
    if (holder?.pid === process.pid && holder.host === hostname()) await unlink(this.path).catch(() => undefined);
  }
}
