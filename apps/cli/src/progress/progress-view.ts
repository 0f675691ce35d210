import cliProgress from 'cli-progress';
import type { Logger } from '@awn/telemetry';

/** What one progress update shows. */
export interface ProgressUpdate {
  step: number;
  epoch: number;
  loss: number;
  widths: number[];
  samplesPerSecond: number;
  /** Ranks contributing (1 for a single process). */
  workers?: number;
  /** Generation of the ring that ran the step (0 for a single process). */
  generation?: number;
}

/** Widths as a compact string: "179·43 Σ222". */
export function formatWidths(widths: number[]): string {
  const total = widths.reduce((a, b) => a + b, 0);
  const shown = widths.length > 6 ? [...widths.slice(0, 5).map(String), '…'] : widths.map(String);
  return widths.length > 1 ? `${shown.join('·')} Σ${total}` : String(total);
}

/**
 * Live progress: a bar with step, epoch, loss, widths, samples/s and ETA on a terminal; without
 * one (CI, logs piped to a file), a log line every `intervalMs` so output stays readable.
 */
export class ProgressView {
  private bar: cliProgress.SingleBar | undefined;
  private lastLine = 0;
  private smoothedRate = 0;

  constructor(
    private readonly total: number,
    private readonly logger: Logger,
    private readonly options: { tty?: boolean; intervalMs?: number; stream?: NodeJS.WriteStream } = {},
  ) {
    const tty = options.tty ?? process.stderr.isTTY === true;
    if (tty) {
      this.bar = new cliProgress.SingleBar(
        {
          format: ' {bar} {percentage}% | step {value}/{total} | epoch {epoch} | loss {loss} | width {widths} | {rate} samples/s | ETA {eta_formatted}',
          barsize: 24,
          hideCursor: true,
          stream: options.stream ?? process.stderr,
          etaBuffer: 50,
          fps: 8,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  start(initialStep: number): void {
    this.bar?.start(this.total, initialStep, { epoch: 0, loss: '-', widths: '-', rate: '-' });
  }

  update(u: ProgressUpdate): void {
    this.smoothedRate = this.smoothedRate === 0 ? u.samplesPerSecond : 0.9 * this.smoothedRate + 0.1 * u.samplesPerSecond;
    const fields = { epoch: u.epoch, loss: u.loss.toFixed(4), widths: formatWidths(u.widths), rate: Math.round(this.smoothedRate) };
    if (this.bar) {
      this.bar.update(u.step, fields);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine < (this.options.intervalMs ?? 3000) && u.step < this.total) return;
    this.lastLine = now;
    this.logger.info(
      { step: u.step, generation: u.generation ?? 0, epoch: u.epoch, loss: u.loss, widths: u.widths, samplesPerSecond: Math.round(this.smoothedRate), workers: u.workers },
      `step ${u.step}/${this.total} loss ${fields.loss} width ${fields.widths} ${fields.rate} samples/s`,
    );
  }

  stop(): void {
    this.bar?.stop();
  }
}
