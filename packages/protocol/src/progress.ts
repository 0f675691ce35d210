/**
 * Progress, as opposed to liveness. Liveness is "the process answers heartbeats" (a thread of its
 * own sends them, so a long step never looks like death); progress is "steps complete". A step's
 * duration is only known once steps have run, so the deadline for the next one follows the
 * measured median: max(floor, 10 × median step), like NCCL's watchdog beside torchrun's agent
 * heartbeat. Coordinator (stall watchdog) and workers (collective deadlines) use this one rule so
 * they agree on what "stalled" means.
 */
export const STALL_MEDIAN_FACTOR = 10;
/** Default floor of the stall deadline (ms). */
export const DEFAULT_STALL_FLOOR_MS = 60_000;
/**
 * Before any step was measured the deadline is this many floors: the first step also warms up
 * (kernels, allocations, the initial state broadcast) and nothing tells a slow first step from a
 * stalled one. Ten floors (10 min by default): the first step of examples/large.json on two
 * workers of a 2-core machine at load average 20 took over 3 min, and a dead or frozen process is
 * caught by heartbeats anyway, so a long warm-up deadline only delays noticing a true deadlock.
 */
export const STALL_WARMUP_FLOORS = 10;
/**
 * How long a training state (weights and two Adam moments) may take to move between rank 0 and the
 * coordinator, per byte: a pessimistic 20 MB/s. While it moves (encoding, signing, transfer,
 * copy, hand-off to the checkpoint writer) either side may fall silent, so the other side excuses
 * that much silence on top of its heartbeats. 1.2 GB (examples/large.json) took over 25 s on a
 * 2-core machine at load average 15; a small model's state adds well under a heartbeat.
 */
export function stateTransferMs(stateBytes: number): number {
  return stateBytes / 20_000;
}
/** Steps the median looks back over. */
const WINDOW = 64;

/** Durations of the latest steps and the stall deadline they imply. */
export class StepClock {
  private readonly recent: number[] = [];
  private last: number | undefined;

  constructor(readonly floorMs: number = DEFAULT_STALL_FLOOR_MS) {
    if (!(floorMs > 0)) throw new RangeError(`the stall deadline floor must be positive, got ${floorMs} ms`);
  }

  /** Marks the start of timing (a ring formed): the next `tick` measures from here. */
  restart(now: number): void {
    this.last = now;
  }

  /** A step completed at `now`; its duration is the time since the previous mark. */
  tick(now: number): void {
    if (this.last !== undefined) this.record(now - this.last);
    this.last = now;
  }

  record(stepMs: number): void {
    if (!(stepMs >= 0) || !Number.isFinite(stepMs)) return;
    this.recent.push(stepMs);
    if (this.recent.length > WINDOW) this.recent.shift();
  }

  /** Median of the recent step durations (ms), undefined before the first. */
  get medianMs(): number | undefined {
    if (this.recent.length === 0) return undefined;
    const sorted = [...this.recent].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }

  /** How long the next step may take before it counts as stalled (ms). */
  get deadlineMs(): number {
    const median = this.medianMs;
    if (median === undefined) return this.floorMs * STALL_WARMUP_FLOORS;
    return Math.max(this.floorMs, STALL_MEDIAN_FACTOR * median);
  }

  /** The rule in words, for messages. */
  describe(): string {
    const median = this.medianMs;
    if (median === undefined)
      return `${STALL_WARMUP_FLOORS} × the ${this.floorMs / 1000} s floor before any step was measured`;
    return `max(${this.floorMs / 1000} s, ${STALL_MEDIAN_FACTOR} × median step ${(median / 1000).toFixed(2)} s)`;
  }
}
