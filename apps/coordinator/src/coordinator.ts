import { randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION, DEFAULT_STALL_FLOOR_MS, DropLog, configHash as hashConfig } from '@awn/protocol';
import { RouterChannel } from './control/router-channel.js';
import { RunFailedError } from './errors.js';
import { ClusterMachine, type Command, type PulledState } from './machine/cluster-machine.js';
import type { CoordinatorOptions } from './machine/options.js';
import type { StepProgress } from './machine/step-ledger.js';

export type { CoordinatorOptions } from './machine/options.js';
export type { StepProgress } from './machine/step-ledger.js';
export type { PulledState } from './machine/cluster-machine.js';

/**
 * The coordinator of one run: the I/O around its state machine (machine/cluster-machine.ts).
 * It binds the control socket, feeds the machine every decoded message and a tick ten times per
 * heartbeat, and carries out what the machine decides: messages to workers, completed steps to
 * `onStep`, checkpoints to `onState`, and the run's end to `run()`.
 */
export class Coordinator {
  readonly runId: string;
  readonly configHash: string;
  private channel!: RouterChannel;
  private readonly machine: ClusterMachine;
  private readonly heartbeatMs: number;
  private timer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private joinTimer: NodeJS.Timeout | undefined;
  private settle!: { resolve: (s: PulledState) => void; reject: (e: Error) => void };
  private readonly finished: Promise<PulledState>;
  private readonly drops: DropLog;
  /** Called for every step all ranks completed. */
  onStep: (p: StepProgress) => void = () => undefined;
  /** Called for every checkpoint rank 0 sends (interval and final). */
  onState: (s: PulledState) => Promise<void> = async () => undefined;

  constructor(private readonly options: CoordinatorOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1)
      throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
    this.runId = options.runId ?? randomUUID();
    this.configHash = hashConfig(options.config);
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.drops = new DropLog((fields, line) => options.logger.warn(fields, line));
    const stallFloorMs = options.stallTimeoutMs ?? DEFAULT_STALL_FLOOR_MS;
    if (!(stallFloorMs > 0)) throw new RangeError(`stallTimeoutMs must be positive, got ${options.stallTimeoutMs}`);
    const minWorkers = options.minWorkers ?? options.workers;
    if (!Number.isInteger(minWorkers) || minWorkers < 1 || minWorkers > options.workers) {
      throw new RangeError(`minWorkers must be an integer in [1, ${options.workers}], got ${options.minWorkers}`);
    }
    if (options.batchPolicy === 'per-worker' && options.config.training.batchSize % options.workers !== 0) {
      throw new RangeError(
        `with the per-worker batch policy, training.batchSize (${options.config.training.batchSize}) must be a multiple of the ${options.workers} workers`,
      );
    }
    this.machine = new ClusterMachine(
      { ...options, heartbeatMs: this.heartbeatMs, stallFloorMs, minWorkers },
      this.runId,
      this.configHash,
      performance.now(),
    );
    this.finished = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // The run's outcome is observed through run(); keep an early abort from being unhandled.
    this.finished.catch(() => undefined);
  }

  /** Binds the control socket; `address` is then the endpoint workers dial. */
  async start(): Promise<string> {
    this.channel = await RouterChannel.bind(this.options.bind, {
      secret: this.options.secret,
      curve: this.options.curve,
      onMessage: ({ peer, decoded }) => this.safely(() => this.machine.receive(peer, decoded, performance.now())),
      onDrop: (error, peer) => this.drop(error.code, error.message, peer),
    });
    // Ten ticks per heartbeat send heartbeats and check the deadlines; a silence is also checked
    // at the very moment it would reach the limit, so a death is noticed at 3 heartbeats, not up
    // to a tick later.
    this.timer = setInterval(() => this.tick(), this.heartbeatMs / 10);
    const joinTimeoutMs = this.options.joinTimeoutMs ?? 120_000;
    this.joinTimer = setTimeout(() => this.safely(() => this.machine.joinTimedOut(joinTimeoutMs)), joinTimeoutMs);
    this.options.logger.info(
      { address: this.channel.address, runId: this.runId, workers: this.options.workers },
      `coordinator listening on ${this.channel.address}`,
    );
    return this.channel.address;
  }

  get address(): string {
    return this.channel.address;
  }

  /** Resolves with the final state once every rank finished; rejects when the run fails. */
  async run(): Promise<PulledState> {
    try {
      return await this.finished;
    } finally {
      await this.close();
    }
  }

  /** Asks the workers to stop after the step they agree on next (Ctrl-C); the run then ends normally. */
  requestStop(reason: string): void {
    this.safely(() => this.machine.requestStop());
    this.options.logger.warn(
      { reason },
      'stop requested: workers finish the current step, rank 0 sends its final state',
    );
  }

  /** Aborts the run: every worker is told to exit and run() rejects with `error`. */
  abort(error: RunFailedError): void {
    this.execute(this.machine.abort(error));
  }

  /** The survivors' state, saved as a checkpoint before the run failed for lack of workers. */
  get salvaged(): PulledState | undefined {
    return this.machine.salvaged;
  }

  /** Workers lost during the run (for the summary). */
  get lost(): readonly string[] {
    return this.machine.lost;
  }

  /** Workers by state, for awn_workers{state}. */
  workerStates(): { waiting: number; training: number; lost: number; done: number } {
    const all = this.machine.membership.all();
    const inRing = all.filter((m) => m.rank >= 0).length;
    const ended = this.machine.ended;
    return {
      waiting: all.length - inRing,
      training: ended ? 0 : inRing,
      lost: this.machine.lost.length,
      done: ended ? inRing : 0,
    };
  }

  /** Size of the current ring. */
  get worldSize(): number {
    return this.machine.byRank.filter((m) => this.machine.membership.has(m)).length;
  }

  /** Generation of the current ring. */
  get currentGeneration(): number {
    return this.machine.generation;
  }

  /** Last step every rank completed. */
  get completedStep(): number {
    return this.machine.ledger.lastCompleted;
  }

  /** Messages dropped so far, by code (awn_dropped_messages_total). */
  get dropped(): ReadonlyMap<string, number> {
    return this.drops.counts;
  }

  private async close(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.silenceTimer);
    clearTimeout(this.joinTimer);
    await this.channel?.close();
    this.drops.flush(performance.now(), true);
  }

  private tick(): void {
    this.safely(() => this.machine.tick(performance.now()));
    this.drops.flush();
    clearTimeout(this.silenceTimer);
    const at = this.machine.nextSilenceAt();
    if (at === undefined) return;
    // +1 ms: the member is lost once silent for longer than the limit, not at it.
    const wait = at + 1 - performance.now();
    if (wait < this.heartbeatMs / 10) this.silenceTimer = setTimeout(() => this.tick(), Math.max(0, wait));
  }

  private safely(event: () => Command[]): void {
    let commands: Command[];
    try {
      commands = event();
    } catch (error) {
      commands = this.machine.abort(
        new RunFailedError(`coordinator error: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
    this.execute(commands);
  }

  private execute(commands: Command[]): void {
    for (const c of commands) {
      switch (c.kind) {
        case 'send':
          this.channel.send(c.peer, c.message, c.tensors);
          break;
        case 'drop':
          this.drop(c.code, c.reason, c.peer);
          break;
        case 'step':
          this.onStep(c.progress);
          break;
        case 'checkpoint':
          this.onState(c.state).then(
            () => this.safely(() => this.machine.checkpointWritten(c.state)),
            (error: unknown) => this.safely(() => this.machine.checkpointWritten(c.state, error)),
          );
          break;
        case 'fail':
          clearTimeout(this.joinTimer);
          this.settle.reject(c.error);
          break;
        case 'finish':
          this.settle.resolve(c.state);
      }
    }
  }

  /** Counts a message that is not acted on, logging a few per code and interval; the run goes on. */
  private drop(code: string, reason: string, peer: Buffer): void {
    this.drops.record(code, `dropped a control message: ${reason}`, { peer: peer.toString('hex') });
  }
}

export { PROTOCOL_VERSION };
