import { mkdir, readdir, readFile, rename, rm, writeFile, open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** Writes `value` as JSON through a temp file and a rename, so readers never see half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

/**
 * A run directory: config.json, metrics.jsonl, checkpoints/, summary.json,
 * report.html. It is created fresh; an existing non-empty directory is refused unless the user
 * asks to replace it, so no earlier run is half-overwritten.
 */
export class RunDirectory {
  readonly path: string;
  private metrics: FileHandle | undefined;

  private constructor(path: string) {
    this.path = resolve(path);
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
  async truncateMetrics(step: number): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.file('metrics.jsonl'), 'utf8');
    } catch {
      return;
    }
    const kept = text.split('\n').filter((l) => l.trim() && (JSON.parse(l) as { step: number }).step <= step);
    const tmp = `${this.file('metrics.jsonl')}.tmp-${process.pid}`;
    await writeFile(tmp, kept.map((l) => `${l}\n`).join(''));
    await rename(tmp, this.file('metrics.jsonl'));
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

  /** Appends one JSON object as a line of metrics.jsonl. */
  async appendMetrics(record: Record<string, unknown>): Promise<void> {
    this.metrics ??= await open(this.file('metrics.jsonl'), 'a');
    await this.metrics.write(`${JSON.stringify(record)}\n`);
  }

  async close(): Promise<void> {
    await this.metrics?.close();
    this.metrics = undefined;
  }
}

/** Default run directory: runs/<name>-<UTC timestamp>. */
export function defaultRunPath(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${name}-${stamp}`);
}
