import type { DecodedMessage } from '@awn/protocol';
import { performance } from 'node:perf_hooks';
import { type CollectiveError, CollectiveTimeoutError } from './errors.js';

/** Deadline bookkeeping of one collective call. */
export interface OpClock {
  readonly startedAt: number;
  readonly deadlineAt: number;
  readonly deadlineMs: number;
  /** Silence from the predecessor longer than this means it is gone or not in the collective. */
  readonly silenceMs: number;
  /** After the deadline, how long to wait for an upstream rank to name the real culprit. */
  readonly graceMs: number;
  readonly predecessor: number;
}

/**
 * The clock of a collective starting now. Keepalives go out every `keepaliveMs`; three missed ones
 * mean the predecessor is silent, and after the deadline an upstream rank gets up to half the
 * deadline (at least six keepalives) to name the real culprit.
 */
export function startClock(deadlineMs: number, keepaliveMs: number, predecessor: number): OpClock {
  const startedAt = performance.now();
  return {
    startedAt,
    deadlineAt: startedAt + deadlineMs,
    deadlineMs,
    silenceMs: 3 * keepaliveMs,
    graceMs: Math.max(6 * keepaliveMs, deadlineMs / 2),
    predecessor,
  };
}

/**
 * Messages from the ring predecessor, in arrival order, plus what attributes a timeout: when the
 * predecessor was last heard (data or keepalive) and whether an abort came down the ring.
 *
 * At the deadline a silent predecessor is the culprit. A predecessor that is still sending
 * keepalives is itself waiting on someone upstream; that rank's abort names the culprit, so this
 * rank waits up to the grace period for it, and blames the predecessor only if none comes.
 */
export class Inbox {
  private readonly queue: DecodedMessage[] = [];
  private wake: (() => void) | undefined;
  private lastHeard = -Infinity;
  private failure: CollectiveError | undefined;
  private reported: CollectiveError | undefined;
  private queuedBytes = 0;
  private room: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Most payload bytes ever queued at once (the receiving side's buffering, for tests/metrics). */
  peakBytes = 0;

  /**
   * @param limitBytes payload bytes queued before `push` asks the reader to pause: together with
   *   the endpoint's bounded ZeroMQ receive queue this bounds what a rank buffers however far
   *   its predecessor runs ahead (hundreds of megabytes of state or gradients stream through).
   */
  constructor(private readonly limitBytes = Infinity) {}

  get aborted(): CollectiveError | undefined {
    return this.failure ?? this.reported;
  }

  /**
   * Queues a data message. Returns a promise when the queue is full: the reader waits on it
   * before taking more from the socket, and it resolves once the collective has drained the
   * queue below the limit, or the inbox failed (then nothing is queued any more).
   */
  push(decoded: DecodedMessage): Promise<void> | undefined {
    this.heard();
    // Nothing the predecessor sends after its error is part of a collective any more.
    if (this.failure !== undefined || this.reported !== undefined) return undefined;
    this.queue.push(decoded);
    this.queuedBytes += payloadBytes(decoded);
    if (this.queuedBytes > this.peakBytes) this.peakBytes = this.queuedBytes;
    if (this.queuedBytes < this.limitBytes) return undefined;
    if (this.room === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.room = { promise, resolve };
    }
    return this.room.promise;
  }

  private release(): void {
    const room = this.room;
    this.room = undefined;
    room?.resolve();
  }

  heard(): void {
    this.lastHeard = performance.now();
    this.wake?.();
  }

  /**
   * A failure the predecessor reported: it takes effect once the messages it sent before it have
   * been taken, as on a stream, so a collective still sees (and can blame precisely) what came
   * first. Failing at once would drop them depending on how reads happened to batch.
   */
  failAfterQueued(error: CollectiveError): void {
    if (this.queue.length === 0) this.fail(error);
    else this.reported ??= error;
  }

  fail(error: CollectiveError): void {
    this.failure ??= error;
    // Nobody will take what is queued: drop it, and let a paused reader go on (it still has to
    // see errors and the next generation's messages).
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.release();
    this.wake?.();
  }

  async take(clock: OpClock): Promise<DecodedMessage> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const next = this.queue.shift();
      if (next !== undefined) {
        this.queuedBytes -= payloadBytes(next);
        if (this.queuedBytes < this.limitBytes) this.release();
        return next;
      }
      if (this.reported !== undefined) {
        this.fail(this.reported);
        continue;
      }
      const now = performance.now();
      let until = clock.deadlineAt;
      if (now >= clock.deadlineAt) {
        const quietSince = Math.max(this.lastHeard, clock.startedAt);
        const silent = now - quietSince;
        const peer = clock.predecessor;
        if (silent >= clock.silenceMs) {
          throw new CollectiveTimeoutError(
            peer,
            clock.deadlineMs,
            `rank ${peer} missed the ${clock.deadlineMs} ms deadline: nothing received from it for ${Math.round(silent)} ms`,
          );
        }
        if (now >= clock.deadlineAt + clock.graceMs) {
          throw new CollectiveTimeoutError(
            peer,
            clock.deadlineMs,
            `rank ${peer} missed the ${clock.deadlineMs} ms deadline: alive but delivered no data`,
          );
        }
        until = Math.min(clock.deadlineAt + clock.graceMs, quietSince + clock.silenceMs);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, Math.max(1, until - now));
        function finish(): void {
          clearTimeout(timer);
          resolve();
        }
        this.wake = finish;
      });
      this.wake = undefined;
    }
  }
}

function payloadBytes(decoded: DecodedMessage): number {
  let bytes = 0;
  for (const tensor of decoded.tensors) bytes += tensor.byteLength;
  return bytes;
}
