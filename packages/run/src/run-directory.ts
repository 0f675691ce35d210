import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { writeJsonAtomic } from './json-file.js';
import { MetricsLog, type MetricsLine } from './metrics-log.js';

/**
 * A run directory: config.json, metrics.jsonl, checkpoints/, summary.json,
 * report.html. It is created fresh; an existing non-empty directory is refused unless the user
 * asks to replace it, so no earlier run is half-overwritten.
 */
export class RunDirectory {
  readonly path: string;
  readonly metrics: MetricsLog;

  private constructor(path: string) {
    this.path = resolve(path);
    this.metrics = new MetricsLog(this.file('metrics.jsonl'));
  }

  static async create(path: string, options: { force?: boolean } = {}): Promise<RunDirectory> {
    const dir = new RunDirectory(path);
    let entries: string[] = [];
    try {
      entries = await readdir(dir.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new UsageError(`cannot use run directory ${dir.path}: ${(error as Error).message}`);
    }
    if (entries.length > 0) {
      if (!options.force)
        throw new UsageError(
          `run directory ${dir.path} already exists and is not empty; choose another --out or pass --force to replace it`,
        );
      await rm(dir.path, { recursive: true, force: true });
    }
    await mkdir(dir.checkpoints, { recursive: true });
    return dir;
  }

  /** Opens an existing run directory to resume it (it must hold config.json and checkpoints/). */
  static async open(path: string): Promise<RunDirectory> {
    const dir = new RunDirectory(path);
    let entries: string[];
    try {
      entries = await readdir(dir.path);
    } catch {
      throw new UsageError(`cannot resume ${dir.path}: no such run directory`);
    }
    if (!entries.includes('config.json') || !entries.includes('checkpoints'))
      throw new UsageError(
        `cannot resume ${dir.path}: it holds no config.json and checkpoints/ (not an awn run directory)`,
      );
    return dir;
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

  async close(): Promise<void> {
    await this.metrics.close();
  }
}

/** Default run directory: runs/<name>-<UTC timestamp>. */
export function defaultRunPath(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${name}-${stamp}`);
}
