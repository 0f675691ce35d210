import { open, readFile, type FileHandle } from 'node:fs/promises';
import { writeTextAtomic } from './json-file.js';

/** One line of metrics.jsonl, the same for single-process and distributed runs (docs/cli.md). */
export interface MetricsLine {
  step: number;
  epoch: number;
  loss: number;
  nll: number;
  weightPrior: number;
  ratePrior: number;
  widths: number[];
  rates: number[];
  totalWidth: number;
  /** Layers whose width changed at this step. */
  widthChanges: number;
  /** Examples in this step, over all workers. */
  samples: number;
  samplesPerSecond: number;
  /** Seconds of this step's phases (single process: data, compute, allreduce, update). */
  seconds?: Record<string, number>;
  /** Per-rank phase timings in ms (distributed), rank order. */
  ranks?: Record<string, number>[];
  /** Validation scores at this step, when it evaluated. */
  validation?: Record<string, number>;
}

/** A metrics line from its parts; the total width is derived from the widths. */
export function metricsLine(parts: Omit<MetricsLine, 'totalWidth'>): MetricsLine {
  const { validation, ranks, seconds, ...rest } = parts;
  return {
    ...rest,
    totalWidth: parts.widths.reduce((a, b) => a + b, 0),
    ...(seconds !== undefined ? { seconds } : {}),
    ...(ranks !== undefined ? { ranks } : {}),
    ...(validation ? { validation } : {}),
  };
}

/** The step of a metrics.jsonl line, or undefined for a line that is not a JSON object with one (a torn write). */
function stepOf(line: string): number | undefined {
  try {
    const step = (JSON.parse(line) as { step?: unknown }).step;
    return typeof step === 'number' ? step : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The metrics.jsonl writer: appends one JSON object per line, in call order (appends are queued,
 * so callers need not chain them), and cuts the file back to a step when a run resumes.
 */
export class MetricsLog {
  private handle: FileHandle | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Appends `line`; resolves once it is written. */
  append(line: MetricsLine): Promise<void> {
    const text = `${JSON.stringify(line)}\n`;
    const next = this.queue.then(async () => {
      this.handle ??= await open(this.path, 'a');
      await this.handle.write(text);
    });
    // A failed write is reported to its caller; later appends still run.
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Keeps the lines up to `step` (a resumed run logs the later steps again). A line a killed
   * process left half written is dropped too, so the file parses again.
   */
  async truncateAfter(step: number): Promise<void> {
    await this.close();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const kept = text.split('\n').filter((l) => {
      const s = l.trim() ? stepOf(l) : undefined;
      return s !== undefined && s <= step;
    });
    await writeTextAtomic(this.path, kept.map((l) => `${l}\n`).join(''));
  }

  /** Waits for queued appends and closes the file (a later append reopens it). */
  async close(): Promise<void> {
    await this.queue;
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }
}
