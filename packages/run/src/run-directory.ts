import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { removeOrphanedTemporaries } from '@awn/core/internal';
import { UsageError } from './errors.js';
import { writeJsonAtomic } from './json-file.js';
import { MetricsLog, type MetricsLine } from './metrics-log.js';
import { LOCK_FILE, RunLock } from './run-lock.js';
import { foreignEntries, isTemporary } from './run-files.js';
import { makeDirs } from './make-dirs.js';

/** Why a path cannot hold a run directory, as one line (a read-only or virtual file system, no permission). */
function cannotUse(path: string, error: unknown): UsageError {
  const e = error as NodeJS.ErrnoException;
  const why =
    e.code === 'EROFS'
      ? 'read-only file system'
      : e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'ENOTDIR'
          ? 'a parent is not a directory'
          : e.code === 'ENOENT'
            ? 'a parent cannot be created'
            : (e.message ?? String(error));
  return new UsageError(`--out ${path}: cannot create the run directory here (${why})`);
}

/**
 * A run directory: config.json, metrics.jsonl, checkpoints/, summary.json, report.html
 * (docs/cli.md). A process owns it through an exclusive lock file held for the run's life, so
 * two runs never write into one directory; a directory with earlier contents is refused unless
 * the user passes --force, and --force replaces only what is recognisably a run directory.
 */
export class RunDirectory {
  readonly path: string;
  readonly metrics: MetricsLog;

  private constructor(
    path: string,
    private readonly lock: RunLock,
  ) {
    this.path = resolve(path);
    this.metrics = new MetricsLog(this.file('metrics.jsonl'));
  }

  /** Creates (or takes an empty) directory for a new run and locks it. */
  static async create(path: string, options: { force?: boolean } = {}): Promise<RunDirectory> {
    const abs = resolve(path);
    await ensureDirectory(abs);
    const lock = await RunLock.acquire(abs);
    try {
      const entries = (await readdir(abs)).filter((n) => n !== LOCK_FILE);
      if (entries.length > 0) {
        if (!options.force)
          throw new UsageError(
            `run directory ${abs} already exists and is not empty; choose another --out or pass --force to replace it`,
          );
        const foreign = await foreignEntries(abs, entries);
        if (foreign.length > 0)
          throw new UsageError(
            `--force replaces only an awn run directory, and ${abs} holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}; choose another --out`,
          );
        for (const name of entries) await rm(join(abs, name), { recursive: true, force: true });
      }
      await mkdir(join(abs, 'checkpoints'));
    } catch (error) {
      await lock.release();
      throw error;
    }
    return new RunDirectory(abs, lock);
  }

  /**
   * Opens an existing run directory to resume it (it must hold config.json and checkpoints/),
   * locks it, and removes the temporary files a killed write left behind.
   */
  static async open(path: string): Promise<RunDirectory> {
    const abs = resolve(path);
    let entries: string[];
    try {
      entries = await readdir(abs);
    } catch {
      throw new UsageError(`cannot resume ${abs}: no such run directory`);
    }
    if (!entries.includes('config.json') || !entries.includes('checkpoints'))
      throw new UsageError(`cannot resume ${abs}: it holds no config.json and checkpoints/ (not an awn run directory)`);
    const lock = await RunLock.acquire(abs);
    const dir = new RunDirectory(abs, lock);
    try {
      await dir.removeTemporaries();
    } catch (error) {
      await lock.release();
      throw error;
    }
    return dir;
  }

  /** Temporary files of killed writes, in the directory and in checkpoints/ (the lock makes them orphans). */
  private async removeTemporaries(): Promise<void> {
    for (const name of await readdir(this.path))
      if (isTemporary(name)) await rm(this.file(name), { force: true, recursive: true });
    await removeOrphanedTemporaries(this.checkpoints);
  }

  /** Drops metrics.jsonl lines past `step` (a resumed run logs those steps again). */
  truncateMetrics(step: number): Promise<void> {
    return this.metrics.truncateAfter(step);
  }

  get checkpoints(): string {
    return join(this.path, 'checkpoints');
  }

  file(name: string): string {
    return join(this.path, name);
  }

  writeJson(name: string, value: unknown): Promise<void> {
    return writeJsonAtomic(this.file(name), value);
  }

  /** Appends one line to metrics.jsonl. */
  appendMetrics(line: MetricsLine): Promise<void> {
    return this.metrics.append(line);
  }

  /** Closes metrics.jsonl; the directory stays locked (summary and report come after). */
  async close(): Promise<void> {
    await this.metrics.close();
  }

  /** Closes metrics.jsonl and unlocks the directory: the run is over. */
  async release(): Promise<void> {
    await this.metrics.close();
    await this.lock.release();
  }
}

/** Makes `path` a directory (parents too); a file in the way or an unwritable place is a usage error. */
async function ensureDirectory(path: string): Promise<void> {
  try {
    if (!(await stat(path)).isDirectory())
      throw new UsageError(`--out ${path} exists and is not a directory; choose another --out`);
    return;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotUse(path, error);
  }
  try {
    await makeDirs(dirname(path));
    await mkdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotUse(path, error);
  }
}
