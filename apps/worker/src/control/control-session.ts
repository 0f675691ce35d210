import type {
  AssignmentMessage,
  DecodedMessage,
  Message,
  MessageBody,
  MessageType,
  WelcomeMessage,
} from '@awn/protocol';
import { tensorToArray, withEnvelope } from '@awn/protocol';
import type { ControlTransport } from './control-link.js';

/** Heartbeat intervals of coordinator silence after which it counts as lost. */
export const LIVENESS_MISSES = 3;

/** One generation's ring as the coordinator assigned it. */
export type Ring = Pick<WelcomeMessage, 'rank' | 'worldSize' | 'peers' | 'broadcastRoot' | 'generation' | 'runId'>;

/** The coordinator went silent (or a wait for it expired): every wait fails with this. */
export class CoordinatorGone extends Error {}

type Waiter = (m: Message | undefined) => void;

/**
 * A worker's side of the control conversation, without sockets: the coordinator's messages and
 * silence come in as events; what they mean for the worker is kept here (shutdown, stop request,
 * the next ring, the state to resume from) and waits resolve on it. While the worker is inside a
 * ring, news that the ring is gone (a peer declared lost, a new generation without one of its
 * members, a shutdown, the coordinator lost) aborts the ring's pending collective at once through
 * `abortRing`, instead of leaving it to the collective's deadline.
 */
export class ControlSession {
  shutdown: { reason: string; exitCode: number } | undefined;
  stopRequested = false;
  /** The next ring, once the coordinator assigned one. */
  pending: AssignmentMessage | undefined;
  /** Checkpoint the coordinator sent to resume from (rank 0 of a resumed run). */
  resumeBytes: Uint8Array | undefined;
  /** Set when the coordinator stayed silent for LIVENESS_MISSES heartbeats. */
  coordinatorLost = false;
  /** Why this worker abandoned its current ring, if it did (the ring failure is then expected, not reported). */
  ringAbandoned: string | undefined;
  heartbeatMs = 1000;
  readonly context: { runId: string; generation: number; step: number; sender: number };
  private ring: Ring | undefined;
  private abortRing: ((reason: string) => void) | undefined;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly transport: ControlTransport,
    readonly workerId: string,
    runId = '',
  ) {
    this.context = { runId, generation: 0, step: 0, sender: -1 };
  }

  // ---- events in ----

  receive(decoded: DecodedMessage): void {
    const m = decoded.message;
    switch (m.type) {
      case 'shutdown':
        this.shutdown = { reason: m.reason, exitCode: m.exitCode };
        // A coordinator-ordered abort must not wait out a collective deadline.
        if (m.exitCode !== 0) this.abandonRing(`the coordinator ended the run: ${m.reason}`);
        break;
      case 'stop':
        this.stopRequested = true;
        break;
      case 'evict':
        if (m.workerId === this.workerId) {
          // Declared lost (e.g. it was stalled): its ring is gone and its rank belongs to others now.
          this.shutdown = { reason: `evicted by the coordinator: ${m.reason}`, exitCode: 1 };
          this.abandonRing(`this worker was evicted: ${m.reason}`);
        } else if (this.ring && m.generation === this.ring.generation && m.rank < this.ring.worldSize) {
          this.abandonRing(`rank ${m.rank} (${m.workerId}) was declared lost: ${m.reason}`);
        }
        break;
      case 'assignment':
        if (m.generation <= this.context.generation) break;
        this.pending = m;
        this.abandonIfShrunk(m);
        break;
      case 'state':
        if (decoded.tensors[0]) this.resumeBytes = new Uint8Array(tensorToArray(decoded.tensors[0]) as Uint8Array);
        break;
      default:
    }
    this.wake(m);
  }

  /** The control thread heard nothing from the coordinator for LIVENESS_MISSES heartbeats. */
  coordinatorSilent(): void {
    if (this.coordinatorLost) return;
    this.coordinatorLost = true;
    this.abandonRing('lost the coordinator');
    this.wake(undefined);
  }

  // ---- commands out ----

  send<T extends MessageType>(
    type: T,
    body: Omit<MessageBody<T>, 'type'>,
    tensors: { name: string; data: Uint8Array }[] = [],
  ): void {
    this.transport.send(withEnvelope(this.context, type, body) as Message, tensors);
  }

  /** The welcome arrived: only this run's messages count from now on, and heartbeats start. */
  welcomed(welcome: WelcomeMessage): void {
    this.transport.pinRun(welcome.runId);
    Object.assign(this.context, { runId: welcome.runId, generation: welcome.generation, sender: welcome.rank });
    this.heartbeatMs = welcome.heartbeatIntervalMs;
    this.transport.setContext(this.context);
    this.transport.startHeartbeat(this.heartbeatMs, LIVENESS_MISSES);
  }

  /** Enters `ring`; `abort` fails its pending collective when the session learns the ring is gone. */
  enterRing(ring: Ring, abort: (reason: string) => void): void {
    this.ring = ring;
    this.abortRing = abort;
    this.ringAbandoned = undefined;
    if (this.pending && this.pending.generation <= ring.generation) this.pending = undefined;
    Object.assign(this.context, { generation: ring.generation, sender: ring.rank });
    this.transport.setContext(this.context);
    // News that came before the ring existed still applies to it.
    if (this.coordinatorLost) this.abandonRing('lost the coordinator');
    else if (this.shutdown && this.shutdown.exitCode !== 0)
      this.abandonRing(`the coordinator ended the run: ${this.shutdown.reason}`);
    else if (this.pending) this.abandonIfShrunk(this.pending);
  }

  leaveRing(): void {
    this.abortRing = undefined;
  }

  set step(step: number) {
    this.context.step = step;
  }

  /** Resolves with the first message matching `match`; fails once the coordinator is lost or after `timeoutMs`. */
  waitFor(match: (m: Message) => boolean, timeoutMs: number, timeoutMessage: string): Promise<Message> {
    return new Promise((resolve, reject) => {
      if (this.coordinatorLost) return reject(new CoordinatorGone('the coordinator stopped answering'));
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(listen);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new CoordinatorGone(`${timeoutMessage} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const listen: Waiter = (m) => {
        if (this.coordinatorLost) {
          clearTimeout(timer);
          reject(new CoordinatorGone('the coordinator stopped answering'));
        } else if (m !== undefined && match(m)) {
          clearTimeout(timer);
          resolve(m);
        } else this.waiters.push(listen);
      };
      this.waiters.push(listen);
    });
  }

  /** Resolves once `condition` holds, re-checked after every message (it may hold already). */
  async waitUntil(condition: () => boolean, timeoutMs: number, timeoutMessage: string): Promise<void> {
    if (condition()) return;
    await this.waitFor(() => condition(), timeoutMs, timeoutMessage);
  }

  /**
   * Rank 0 is about to send (or has sent) its training state: the coordinator answers nobody while
   * it takes in up to gigabytes, so its silence does not count for `forMs` (every rank calls this
   * at the same steps, see train-generation.ts).
   */
  expectCoordinatorQuiet(forMs: number): void {
    this.transport.expectQuiet(forMs);
  }

  close(discard: boolean): Promise<void> {
    return this.transport.close(discard || this.coordinatorLost);
  }

  /**
   * A ring that only gains members finishes its step and stops where its ranks agree; one that
   * lost a member can never complete its collective.
   */
  private abandonIfShrunk(next: AssignmentMessage): void {
    if (!this.ring || next.generation <= this.ring.generation) return;
    const missing = this.ring.peers.filter((p) => !next.peers.includes(p));
    if (missing.length > 0)
      this.abandonRing(`generation ${next.generation} re-formed the ring without ${missing.join(', ')}`);
  }

  private abandonRing(reason: string): void {
    if (!this.abortRing || this.ringAbandoned !== undefined) return;
    this.ringAbandoned = reason;
    this.abortRing(reason);
  }

  private wake(m: Message | undefined): void {
    for (const w of this.waiters.splice(0)) w(m);
  }
}
