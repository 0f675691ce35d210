import cliProgress from 'cli-progress';
import type { Logger } from '@awn/telemetry';

/** What one progress update shows. */
export interface ProgressUpdate {
  step: number;
  epoch: number;
  /** The likelihood term of the loss (mean nats per example or byte): it falls as the model improves. */
  nll: number;
  /** The whole negative ELBO (nll + priors), logged beside it. */
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

/** Nats per byte → bits per byte. */
const BITS_PER_NAT = 1 / Math.LN2;

/**
 * Live progress: a bar with step, the likelihood term (bits/byte for text), the last validation
 * score, widths, samples/s and ETA on a terminal; without one (CI, logs piped to a file), a log
 * line every `intervalMs`. The headline is the nll, not the total ELBO: the weight prior grows
 * with width, so the total can rise while the model gets better.
 */
export class ProgressView {
  private bar: cliProgress.SingleBar | undefined;
  private lastLine = 0;
  private smoothedRate = 0;
  private started = false;
  private validation = '';

  constructor(
    private readonly total: number,
    private readonly logger: Logger,
    private readonly options: { tty?: boolean; intervalMs?: number; stream?: NodeJS.WriteStream; text?: boolean } = {},
  ) {
    const tty = options.tty ?? process.stderr.isTTY === true;
    if (tty) {
      this.bar = new cliProgress.SingleBar(
        {
          format:
            ' {bar} {percentage}% | step {value}/{total} | {headline}{validation} | width {widths} | {rate} samples/s | ETA {timeLeft}',
          barsize: 20,
          hideCursor: true,
          stream: options.stream ?? process.stderr,
          fps: 8,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  /**
   * Marks the start of a (resumed) run; the bar itself is drawn at the first completed step, so
   * log lines of workers joining never glue onto it and no ETA is guessed before a step was timed.
   */
  start(): void {
    this.etaStart = undefined;
  }

  /** The latest validation score, shown until the next one ("val acc 97.5 %"). */
  setValidation(name: 'accuracy' | 'mse' | 'bitsPerByte', value: number): void {
    this.validation = ` | val ${name === 'accuracy' ? `acc ${(value * 100).toFixed(1)} %` : name === 'mse' ? `mse ${value.toPrecision(4)}` : `${value.toFixed(3)} bits/byte`}`;
  }

  /** The headline: nll, or bits/byte for text. */
  headline(u: ProgressUpdate): string {
    return this.options.text ? `${(u.nll * BITS_PER_NAT).toFixed(3)} bits/byte` : `nll ${u.nll.toFixed(4)}`;
  }

  update(u: ProgressUpdate): void {
    this.smoothedRate =
      this.smoothedRate === 0 ? u.samplesPerSecond : 0.9 * this.smoothedRate + 0.1 * u.samplesPerSecond;
    const fields = {
      headline: this.headline(u),
      validation: this.validation,
      widths: formatWidths(u.widths),
      rate: Math.round(this.smoothedRate),
      timeLeft: this.eta(u.step),
    };
    if (this.bar) {
      if (!this.started) this.bar.start(this.total, u.step, fields);
      else this.bar.update(u.step, fields);
      this.started = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastLine < (this.options.intervalMs ?? 3000) && u.step < this.total) return;
    this.lastLine = now;
    this.logger.info(
      {
        step: u.step,
        generation: u.generation ?? 0,
        epoch: u.epoch,
        nll: u.nll,
        loss: u.loss,
        widths: u.widths,
        samplesPerSecond: Math.round(this.smoothedRate),
        workers: u.workers,
      },
      `step ${u.step}/${this.total} ${fields.headline}${fields.validation} width ${fields.widths} ${fields.rate} samples/s (ELBO loss ${u.loss.toFixed(4)})`,
    );
  }

  private etaStart: { step: number; at: number } | undefined;

  /** Time left at the rate measured since the first completed step (which includes warm-up); '-' until then. */
  private eta(step: number): string {
    const now = performance.now();
    if (!this.etaStart) {
      this.etaStart = { step, at: now };
      return '-';
    }
    const done = step - this.etaStart.step;
    if (done < 1) return '-';
    const seconds = ((now - this.etaStart.at) / 1e3 / done) * (this.total - step);
    const m = Math.floor(seconds / 60);
    return m > 0 ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.round(seconds)}s`;
  }

  stop(): void {
    if (this.started) this.bar?.stop();
  }
}
