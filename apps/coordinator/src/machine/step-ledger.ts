import type { LossValues } from '@awn/core';
import { StepClock, type StepDoneMessage, type StepTimings } from '@awn/protocol';

/** A completed step as every rank reported it. */
export interface StepProgress {
  step: number;
  /** Generation of the ring that ran the step. */
  generation: number;
  epoch: number;
  loss: LossValues;
  widths: number[];
  rates: number[];
  widthChanges: number;
  samples: number;
  samplesPerSecond: number;
  /** Per-rank timings (ms) of this step, index = rank. */
  timings: StepTimings[];
}

/** What a step report led to. */
export type LedgerOutcome =
  | { kind: 'pending' }
  | { kind: 'step'; progress: StepProgress }
  | { kind: 'disagree'; message: string; ranks: number[] };

/**
 * Which steps every rank of a ring completed, and how long steps take. A step is complete when
 * every rank of the ring that ran it reported it with the same width hash. The step durations
 * feed the progress watchdog: no step for longer than max(floor, 10 × median step) means the
 * ring stalls although every member still answers heartbeats.
 */
export class StepLedger {
  /** Steps not yet complete: the generation that ran it and each rank's report. */
  private readonly pending = new Map<number, { generation: number; reports: Map<number, StepDoneMessage> }>();
  /** World size of every generation so far. */
  private readonly ringSizes = new Map<number, number>();
  private lastStepWall: number;
  lastCompleted: number;
  readonly clock: StepClock;

  constructor(startStep: number, stallFloorMs: number, now: number) {
    this.lastCompleted = startStep;
    this.clock = new StepClock(stallFloorMs);
    this.lastStepWall = now;
  }

  /** A new ring of `size` ranks starts; the watchdog measures from now. */
  ringFormed(generation: number, size: number, now: number): void {
    this.ringSizes.set(generation, size);
    this.lastStepWall = now;
    this.clock.restart(now);
  }

  /** A rank's report of `report.step`. */
  report(report: StepDoneMessage, now: number): LedgerOutcome {
    // A ring that is being replaced finishes its steps up to the agreed stop: still count them.
    const expected = this.ringSizes.get(report.generation);
    const step = report.step;
    if (expected === undefined || step <= this.lastCompleted) return { kind: 'pending' };
    let entry = this.pending.get(step);
    if (entry && entry.generation < report.generation) entry = undefined; // redone by a newer ring
    if (entry && entry.generation > report.generation) return { kind: 'pending' };
    if (!entry) this.pending.set(step, (entry = { generation: report.generation, reports: new Map() }));
    entry.reports.set(report.sender, report);
    if (entry.reports.size < expected) return { kind: 'pending' };
    this.pending.delete(step);
    const hashes = new Set([...entry.reports.values()].map((r) => r.widthHash));
    if (hashes.size > 1) {
      const byHash = [...entry.reports.entries()].map(([rank, r]) => `rank ${rank}: ${r.widthHash}`).join(', ');
      return {
        kind: 'disagree',
        message: `ranks disagree on the widths after step ${step} (${byHash})`,
        ranks: [...entry.reports.keys()],
      };
    }
    return { kind: 'step', progress: this.complete(step, entry.reports, now) };
  }

  /** Reports of steps the new ring will not redo are completed with what arrived; later ones stay (the old ring may still complete them, or a new one redoes them). */
  flush(resumeStep: number, now: number): StepProgress[] {
    const out: StepProgress[] = [];
    for (const step of [...this.pending.keys()].sort((a, b) => a - b)) {
      if (step > resumeStep) continue;
      const entry = this.pending.get(step)!;
      this.pending.delete(step);
      if (step > this.lastCompleted) out.push(this.complete(step, entry.reports, now));
    }
    return out;
  }

  /** How long no step completed, when that exceeds the stall deadline. */
  stalled(now: number): { silentMs: number; deadlineMs: number; rule: string } | undefined {
    const silentMs = now - this.lastStepWall;
    const deadlineMs = this.clock.deadlineMs;
    return silentMs > deadlineMs ? { silentMs, deadlineMs, rule: this.clock.describe() } : undefined;
  }

  private complete(step: number, reports: Map<number, StepDoneMessage>, now: number): StepProgress {
    const all = [...reports.values()];
    const r0 = reports.get(0) ?? all[0]!;
    const reported = all.reduce((n, r) => n + r.samples, 0);
    // A step flushed when its ring broke may lack the lost rank's report; its batch was still
    // the whole ring's, so scale up (exact for equal shards, off by at most one otherwise).
    const ringSize = this.ringSizes.get(r0.generation) ?? all.length;
    const samples = all.length < ringSize ? Math.round((reported / all.length) * ringSize) : reported;
    const seconds = (now - this.lastStepWall) / 1e3;
    this.lastStepWall = now;
    this.clock.tick(now);
    this.lastCompleted = Math.max(this.lastCompleted, step);
    return {
      step,
      generation: r0.generation,
      epoch: r0.epoch,
      loss: { total: r0.loss, ...r0.lossTerms },
      widths: [...r0.widths],
      rates: [...r0.rates],
      widthChanges: r0.widthChanges,
      samples,
      samplesPerSecond: seconds > 0 ? samples / seconds : 0,
      timings: [...reports.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => ({ ...r.timings })),
    };
  }
}
