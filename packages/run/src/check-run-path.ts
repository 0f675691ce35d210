import { access, constants, readdir, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { foreignEntries } from './run-files.js';
import { LOCK_FILE } from './run-lock.js';

/** File systems that hold no files of their own: a run directory there would hang or vanish. */
const VIRTUAL_FS: Record<number, string> = {
  40864: 'procfs',
  1650812274: 'sysfs',
  1684170528: 'debugfs',
  1935894131: 'securityfs',
  2613483: 'cgroup',
  1667723888: 'cgroup2',
  7377: 'devpts',
};

/** The nearest existing directory at or above `path`. */
async function nearestExisting(path: string): Promise<string> {
  let p = path;
  for (;;) {
    try {
      await stat(p);
      return p;
    } catch (error) {
      const parent = dirname(p);
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file sits where a parent should be; the walk continues up to it.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === p) return p;
      p = parent;
    }
  }
}

/**
 * Checks, without creating anything, that `path` can become a new run's directory: what
 * {@link RunDirectory.create} would refuse is refused here before any process, socket or file
 * exists. The claim itself stays with `create` (exclusive, so a race is still caught there).
 */
export async function checkRunPath(path: string, options: { force?: boolean } = {}): Promise<void> {
  const abs = resolve(path);
  const base = await nearestExisting(abs);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(base);
  } catch (error) {
    throw new UsageError(`--out ${abs}: cannot create the run directory here (${(error as Error).message})`);
  }
  if (base === abs) {
    if (!info.isDirectory()) throw new UsageError(`--out ${abs} exists and is not a directory; choose another --out`);
    const entries = (await readdir(abs)).filter((n) => n !== LOCK_FILE);
    if (entries.length > 0 && !options.force)
      throw new UsageError(
        `run directory ${abs} already exists and is not empty; choose another --out or pass --force to replace it`,
      );
    if (entries.length > 0) {
      const foreign = await foreignEntries(abs, entries);
      if (foreign.length > 0)
        throw new UsageError(
          `--force replaces only an awn run directory, and ${abs} holds ${foreign.slice(0, 3).join(', ')}; choose another --out`,
        );
    }
  } else if (!info.isDirectory()) {
    throw new UsageError(`--out ${abs}: cannot create the run directory here (${base} is not a directory)`);
  }
  const dir = info.isDirectory() ? base : dirname(base);
  const fs = VIRTUAL_FS[Number((await statfs(dir)).type)];
  if (fs)
    throw new UsageError(
      `--out ${abs}: cannot create the run directory here (${dir} is on ${fs}, a virtual file system)`,
    );
  try {
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'read-only file system' : 'permission denied';
    throw new UsageError(`--out ${abs}: cannot create the run directory here (${why})`);
  }
}
