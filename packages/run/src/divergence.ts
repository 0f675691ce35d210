import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCheckpointFileName } from '@awn/core/internal';

/** How far above the first step's loss a loss counts as exploded (a healthy run falls, or rises a few-fold as widths grow). */
export const EXPLOSION_FACTOR = 1e6;

/** One step as the watch sees it: the loss computed at this step and the widths after its update. */
export interface StepHealth {
  /** Updates done, counting this step's (1-based). */
  step: number;
  loss: number;
  nll: number;
  widths: readonly number[];
}

/** Why a run was found diverged, and from which state on its checkpoints are unusable. */
export interface Divergence {
  step: number;
  reason: string;
  /** Checkpoints of this many updates or more hold the diverged state. */
  firstBadState: number;
}

/**
 * Watches each step for a diverged run: a loss that is NaN or infinite, a loss that exploded to
 * {@link EXPLOSION_FACTOR} times the first step's, or every adaptive layer jumping to
 * model.maxWidth in one step (a rate blown up by the step size, not learnt). The loss of step s
 * is computed before its update, on the state after s − 1 updates, so that state is the first
 * bad one; widths are those after the update, so a width jump condemns the state after s.
 */
export class DivergenceWatch {
  private baseline: number | undefined;
  private previous: readonly number[] | undefined;

  constructor(
    private readonly maxWidth: number,
    initialWidths?: readonly number[],
  ) {
    this.previous = initialWidths;
  }

  update(s: StepHealth): Divergence | undefined {
    if (!Number.isFinite(s.loss) || !Number.isFinite(s.nll))
      return { step: s.step, reason: `the loss is ${s.loss} (nll ${s.nll})`, firstBadState: s.step - 1 };
    this.baseline ??= Math.max(Math.abs(s.loss), 1);
    if (s.loss > EXPLOSION_FACTOR * this.baseline)
      return {
        step: s.step,
        reason: `the loss ${s.loss.toExponential(2)} exploded to ${(s.loss / this.baseline).toExponential(1)} × the first step's ${this.baseline.toPrecision(4)}`,
        firstBadState: s.step - 1,
      };
    const before = this.previous;
    this.previous = s.widths;
    const jump = Math.max(this.maxWidth / 2, 64);
    if (before && s.widths.length > 0 && s.widths.every((w, i) => w >= this.maxWidth && w - (before[i] ?? w) >= jump))
      return {
        step: s.step,
        reason: `every adaptive layer jumped to model.maxWidth (${this.maxWidth}) in one step (from ${before.join(', ')}): the rates blew up`,
        firstBadState: s.step,
      };
    return undefined;
  }
}

/** The run stopped because training diverged: exit code 1, the reason and what was kept. */
export class DivergedError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'DivergedError';
  }
}

/**
 * Moves the checkpoints that hold a diverged state out of the way (renamed `diverged-…`, not
 * deleted), so a resume starts from the newest state before the divergence. Returns the newest
 * kept checkpoint's name, if any.
 */
export async function setAsideDiverged(checkpoints: string, firstBadState: number): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(checkpoints);
  } catch {
    return undefined;
  }
  let kept: { name: string; step: number } | undefined;
  for (const name of names) {
    const step = parseCheckpointFileName(name);
    if (step === undefined) continue;
    if (step >= firstBadState) await rename(join(checkpoints, name), join(checkpoints, `diverged-${name}`));
    else if (!kept || step > kept.step) kept = { name, step };
  }
  return kept?.name;
}

/** Sets the diverged checkpoints aside and returns the error that ends the run. */
export async function divergedError(runDir: string, d: Divergence, lr: number): Promise<DivergedError> {
  const kept = await setAsideDiverged(join(runDir, 'checkpoints'), d.firstBadState);
  return new DivergedError(divergedMessage(d, kept, runDir, lr));
}

/** The one-line message of a diverged run. */
export function divergedMessage(d: Divergence, kept: string | undefined, runDir: string, lr: number): string {
  return `training diverged at step ${d.step}: ${d.reason}; stopped. ${
    kept
      ? `The newest checkpoint before it, ${join(runDir, 'checkpoints', kept)}, is kept`
      : 'No checkpoint before it exists'
  } (any later one is renamed diverged-*). Start again with a lower training.optimizer.learningRate (now ${lr}) or with training.optimizer.clipNorm set`;
}
