import type { DecodedMessage } from '@awn/protocol';
import { performance } from 'node:perf_hooks';
import { CollectiveError, CollectiveTimeoutError } from './errors.js';

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

  get aborted(): CollectiveError | undefined {
    return this.failure;
  }

  push(decoded: DecodedMessage): void {
    this.queue.push(decoded);
    this.heard();
  }

  heard(): void {
    this.lastHeard = performance.now();
    this.wake?.();
  }

  fail(error: CollectiveError): void {
    this.failure ??= error;
    this.wake?.();
  }

  async take(clock: OpClock): Promise<DecodedMessage> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const next = this.queue.shift();
      if (next !== undefined) return next;
      const now = performance.now();
      let until = clock.deadlineAt;
      if (now >= clock.deadlineAt) {
        const quietSince = Math.max(this.lastHeard, clock.startedAt);
        const silent = now - quietSince;
        const peer = clock.predecessor;
        if (silent >= clock.silenceMs) {
          throw new CollectiveTimeoutError(peer, clock.deadlineMs, `rank ${peer} missed the ${clock.deadlineMs} ms deadline: nothing received from it for ${Math.round(silent)} ms`);
        }
        if (now >= clock.deadlineAt + clock.graceMs) {
          throw new CollectiveTimeoutError(peer, clock.deadlineMs, `rank ${peer} missed the ${clock.deadlineMs} ms deadline: alive but delivered no data`);
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
