import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  PROTOCOL_VERSION,
  DEFAULT_STALL_FLOOR_MS,
  configHash as hashConfig,
  tensorToArray,
  withEnvelope,
  type DecodedMessage,
  type JoinMessage,
  type JsonValue,
  type Message,
  type MessageBody,
  type MessageType,
} from '@awn/protocol';
import { RouterChannel, type Incoming } from './control/router-channel.js';
import { RunFailedError } from './errors.js';
import { Membership, type Member } from './machine/membership.js';
import type { CoordinatorOptions } from './machine/options.js';
import { planRing } from './machine/ring-plan.js';
import { StepLedger, type StepProgress, type StepReport } from './machine/step-ledger.js';

export type { CoordinatorOptions } from './machine/options.js';
export type { StepProgress } from './machine/step-ledger.js';

/** A checkpoint pulled from rank 0: the encoded training-state bytes. */
export interface PulledState {
  step: number;
  bytes: Uint8Array;
  final: boolean;
}

/**
 * The coordinator of one run, as thin I/O around three machines: membership (admission and
 * liveness, machine/membership.ts), the ring plan of each generation (machine/ring-plan.ts) and
 * the step ledger (completed steps and the progress watchdog, machine/step-ledger.ts). It binds
 * the control socket, admits exactly `workers` workers, forms a ring per generation, heartbeats,
 * collects per-step reports and checkpoints pulled from rank 0, and ends the run with a shutdown
 * to every worker. A lost worker re-forms the ring with the survivors (which abort their pending
 * collective on the news) as long as `minWorkers` remain; below that the run waits for rejoins,
 * and with `minWorkers` = `workers` (the default) any loss ends the run.
 */
export class Coordinator {
  readonly runId: string;
  readonly configHash: string;
  private channel!: RouterChannel;
  private readonly membership: Membership;
  private readonly ledger: StepLedger;
  /** The current generation's ring, index = rank (members lost since stay until the next ring). */
  private byRank: Member[] = [];
  private readonly heartbeatMs: number;
  private readonly stallFloorMs: number;
  private phase: 'admitting' | 'training' | 'degraded' | 'ended' = 'admitting';
  private generation = 0;
  private stopRequested = false;
  private timer: NodeJS.Timeout | undefined;
  private joinTimer: NodeJS.Timeout | undefined;
  private settle!: { resolve: (s: PulledState) => void; reject: (e: Error) => void };
  private readonly finished: Promise<PulledState>;
  private degradedSince = 0;
  private lastHeartbeat = -Infinity;
  private readonly minWorkers: number;
  readonly dropped = new Map<string, number>();
  /** Workers lost during the run (for the summary). */
  readonly lost: string[] = [];
  /** Called for every step all ranks completed. */
  onStep: (p: StepProgress) => void = () => undefined;
  /** Called for every checkpoint rank 0 sends (interval and final). */
  onState: (s: PulledState) => Promise<void> = async () => undefined;

  constructor(private readonly options: CoordinatorOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
    this.runId = options.runId ?? randomUUID();
    this.configHash = hashConfig(options.config);
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.stallFloorMs = options.stallTimeoutMs ?? DEFAULT_STALL_FLOOR_MS;
    if (!(this.stallFloorMs > 0)) throw new RangeError(`stallTimeoutMs must be positive, got ${options.stallTimeoutMs}`);
    this.minWorkers = options.minWorkers ?? options.workers;
    if (!Number.isInteger(this.minWorkers) || this.minWorkers < 1 || this.minWorkers > options.workers) {
      throw new RangeError(`minWorkers must be an integer in [1, ${options.workers}], got ${options.minWorkers}`);
    }
    if (options.batchPolicy === 'per-worker' && options.config.training.batchSize % options.workers !== 0) {
      throw new RangeError(`with the per-worker batch policy, training.batchSize (${options.config.training.batchSize}) must be a multiple of the ${options.workers} workers`);
    }
    const now = performance.now();
    this.membership = new Membership(options.workers, this.heartbeatMs, options.livenessMisses ?? 3, { runId: this.runId, configHash: this.configHash }, now);
    this.ledger = new StepLedger(options.resume?.step ?? 0, this.stallFloorMs, now);
    this.finished = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // The run's outcome is observed through run(); keep an early abort from being unhandled.
    this.finished.catch(() => undefined);
  }

  /** Binds the control socket; `address` is then the endpoint workers dial. */
  async start(): Promise<string> {
    this.channel = await RouterChannel.bind(this.options.bind, {
      secret: this.options.secret,
      curve: this.options.curve,
      onMessage: (m) => this.safely(() => this.receive(m)),
      onDrop: (error, peer) => this.drop(error.code, error.message, peer),
    });
    // Silence is checked ten times per heartbeat, so a death is noticed within a tenth of a
    // heartbeat of the third missed one, not up to a whole one later.
    this.timer = setInterval(() => this.safely(() => this.tick()), this.heartbeatMs / 10);
    const joinTimeoutMs = this.options.joinTimeoutMs ?? 120_000;
    this.joinTimer = setTimeout(() => {
      if (this.phase === 'admitting') this.abort(new RunFailedError(`only ${this.membership.size} of ${this.options.workers} workers joined within ${joinTimeoutMs / 1000} s`));
    }, joinTimeoutMs);
    this.options.logger.info({ address: this.channel.address, runId: this.runId, workers: this.options.workers }, `coordinator listening on ${this.channel.address}`);
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
    this.stopRequested = true;
    for (const m of this.byRank) if (this.membership.has(m)) this.send(m, 'checkpoint-request', { requestId: `stop-${Date.now()}`, reason: 'manual', path: null });
    this.options.logger.warn({ reason }, 'stop requested: workers finish the current step, rank 0 sends its final state');
  }

  /** Aborts the run: every worker is told to exit and run() rejects with `error`. */
  abort(error: RunFailedError): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.options.logger.error({ ranks: error.ranks }, error.message);
    for (const m of this.membership.all()) this.send(m, 'shutdown', { reason: error.message, exitCode: 1 });
    this.settle.reject(error);
  }

  /** Workers by state, for awn_workers{state}. */
  workerStates(): { waiting: number; training: number; lost: number; done: number } {
    const all = this.membership.all();
    const inRing = all.filter((m) => m.rank >= 0).length;
    const ended = this.phase === 'ended';
    return { waiting: all.length - inRing, training: ended ? 0 : inRing, lost: this.lost.length, done: ended ? inRing : 0 };
  }

  /** Size of the current ring. */
  get worldSize(): number {
    return this.byRank.filter((m) => this.membership.has(m)).length;
  }

  /** Generation of the current ring. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** Last step every rank completed. */
  get completedStep(): number {
    return this.ledger.lastCompleted;
  }

  private get ended(): boolean {
    return this.phase === 'ended';
  }

  private async close(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.joinTimer);
    await this.channel?.close();
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.abort(new RunFailedError(`coordinator error: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  /** Counts and logs a message that is not acted on; the run goes on. */
  private drop(code: string, reason: string, peer: Buffer): void {
    this.dropped.set(code, (this.dropped.get(code) ?? 0) + 1);
    this.options.logger.warn({ code, peer: peer.toString('hex') }, `dropped a control message: ${reason}`);
  }

  private send<T extends MessageType>(member: Pick<Member, 'peer'>, type: T, body: Omit<MessageBody<T>, 'type'>, tensors: { name: string; data: Uint8Array }[] = []): void {
    const message = withEnvelope({ runId: this.runId, generation: this.generation, step: this.ledger.lastCompleted, sender: -1 }, type, body) as Message;
    this.channel.send(member.peer, message, tensors);
  }

  private receive({ peer, decoded }: Incoming): void {
    const { message } = decoded;
    if (message.type === 'join') return this.admit(peer, message);
    if (message.runId !== this.runId) return this.drop('run-id-mismatch', `message for run ${message.runId}`, peer);
    const member = this.membership.byPeer(peer);
    if (!member) return this.drop('unexpected-sender', `${message.type} from a peer that never joined`, peer);
    const now = performance.now();
    this.membership.heard(member, now);
    switch (message.type) {
      case 'heartbeat':
        return;
      case 'step-done':
        return this.stepDone(member, message as StepReport, now);
      case 'state':
        return this.state(member, decoded);
      case 'error':
        return this.workerError(member, message);
      default:
        this.drop('unexpected-type', `unexpected ${message.type} from rank ${member.rank}`, peer);
    }
  }

  private admit(peer: Buffer, join: JoinMessage): void {
    const admission = this.membership.admit(peer, join, performance.now(), this.phase === 'ended');
    if ('refused' in admission) {
      const { code, message } = admission.refused;
      this.options.logger.warn({ code }, `refused a worker: ${message}`);
      this.send({ peer }, 'error', { code, message, ranks: [], reporter: -1, fatal: true });
      return;
    }
    const size = this.membership.size;
    this.options.logger.info({ workerId: join.workerId, host: join.host, pid: join.pid }, `worker joined (${size}/${this.options.workers})`);
    if (this.phase === 'admitting') {
      if (size === this.options.workers) this.begin();
      return;
    }
    // A new or returning worker enters at the next generation; the running ring stops at a step
    // its ranks agree on and every rank, the newcomer included, continues from the root's state.
    if (this.phase === 'training' || size >= this.minWorkers) this.formRing(`worker ${join.workerId} joined`);
  }

  private begin(): void {
    clearTimeout(this.joinTimer);
    this.formRing('every worker joined');
    this.options.logger.info({ ranks: this.byRank.map((m) => `${m.rank}:${m.workerId}`) }, `run ${this.runId} started with ${this.byRank.length} workers`);
  }

  /** Starts a generation: ranks, the ring of peer addresses and the root (see machine/ring-plan.ts). */
  private formRing(reason: string): void {
    const first = this.phase === 'admitting';
    if (!first) this.generation++;
    this.phase = 'training';
    const now = performance.now();
    const plan = planRing(this.byRank, this.membership.all(), this.options.resume?.step ?? 0);
    for (const p of this.ledger.flush(plan.resumeStep, now)) this.onStep(p);
    for (const m of this.membership.all()) m.rank = -1;
    plan.ring.forEach((m, rank) => (m.rank = rank));
    this.byRank = plan.ring;
    this.ledger.ringFormed(this.generation, plan.ring.length, now);
    const peers = plan.ring.map((m) => m.join.dataAddress);
    const rootMember = plan.ring[plan.root]!;
    if (first && this.options.resume) {
      // The resumed state goes to the root before its welcome, so it starts from it.
      this.send(rootMember, 'state', { widths: [], configHash: this.configHash, final: false }, [{ name: 'checkpoint', data: this.options.resume.bytes }]);
    }
    for (const m of plan.ring) {
      const fields = { workerId: m.workerId, rank: m.rank, worldSize: plan.ring.length, peers, resumeStep: plan.resumeStep, stateSource: 'broadcast' as const, broadcastRoot: plan.root, checkpointPath: null };
      if (m.welcomed) {
        this.send(m, 'assignment', fields);
        continue;
      }
      m.welcomed = true;
      this.send(m, 'welcome', { ...fields, config: this.configForWorkers(first), configHash: this.configHash, heartbeatIntervalMs: this.heartbeatMs });
    }
    if (!first) this.options.logger.warn({ generation: this.generation, worldSize: plan.ring.length, resumeStep: plan.resumeStep, root: plan.root }, `generation ${this.generation}: ${plan.ring.length} workers from step ${plan.resumeStep} (${reason})`);
  }

  private configForWorkers(first: boolean): JsonValue {
    return {
      ...(this.options.config as unknown as Record<string, JsonValue>),
      cluster: {
        collectiveDeadlineMs: this.options.collectiveDeadlineMs ?? this.stallFloorMs,
        stallTimeoutMs: this.stallFloorMs,
        metricsEndpoint: this.options.metricsEndpoint ?? null,
        resume: first && this.options.resume !== undefined,
        batchPolicy: this.options.batchPolicy ?? 'global',
        workers: this.options.workers,
      },
    };
  }

  /** A worker is gone (died, hung, evicted): re-form the ring with the survivors or end the run. */
  private lose(member: Member, reason: string): void {
    if (this.phase === 'ended' || !this.membership.remove(member)) return;
    this.lost.push(member.workerId);
    const who = member.rank >= 0 ? `rank ${member.rank} (${member.workerId})` : `worker ${member.workerId}`;
    // The lost worker, if alive after all (stalled, partitioned), must not rejoin this ring
    // silently; its ring peers learn at once that their pending collective can never complete.
    const evict = { rank: Math.max(member.rank, 0), workerId: member.workerId, reason };
    this.send(member, 'evict', evict);
    if (member.rank >= 0) for (const m of this.byRank) if (this.membership.has(m)) this.send(m, 'evict', evict);
    if (this.phase === 'admitting') {
      this.options.logger.warn({ workerId: member.workerId }, `${who} left before the run started: ${reason}`);
      return;
    }
    if (this.minWorkers === this.options.workers) {
      this.abort(new RunFailedError(`${who} ${reason}`, member.rank >= 0 ? [member.rank] : []));
      return;
    }
    this.options.logger.warn({ workerId: member.workerId, rank: member.rank }, `lost ${who}: ${reason}`);
    if (this.membership.size >= this.minWorkers) {
      this.formRing(`lost ${who}`);
    } else if (this.phase !== 'degraded') {
      this.phase = 'degraded';
      this.degradedSince = performance.now();
      this.options.logger.warn({ alive: this.membership.size, minWorkers: this.minWorkers }, `waiting up to ${(this.options.rejoinTimeoutMs ?? 60_000) / 1000} s for workers to (re)join`);
    }
  }

  private workerError(member: Member, message: { code: string; message: string; ranks: readonly number[]; fatal: boolean; generation: number }): void {
    if (message.generation < this.generation) return; // about a ring that no longer exists
    const recoverable = !message.fatal && (message.code === 'timeout' || message.code === 'aborted' || message.code === 'closed');
    if (!recoverable || this.minWorkers === this.options.workers) {
      return this.abort(new RunFailedError(`rank ${member.rank} (${member.workerId}) reported ${message.code}: ${message.message}`, message.ranks.length ? message.ranks : [member.rank]));
    }
    // The reporting rank names the culprit first; dropping it now beats waiting for heartbeats.
    const culprit = this.byRank.find((m) => m.rank === message.ranks[0] && this.membership.has(m));
    if (culprit && culprit !== member) this.lose(culprit, `was blamed by rank ${member.rank}: ${message.message}`);
  }

  private stepDone(member: Member, report: StepReport, now: number): void {
    if (report.generation <= this.generation) member.completed = Math.max(member.completed, report.step);
    const outcome = this.ledger.report(report, now);
    if (outcome.kind === 'disagree') return this.abort(new RunFailedError(outcome.message, outcome.ranks));
    if (outcome.kind === 'step') this.onStep(outcome.progress);
  }

  private state(member: Member, decoded: DecodedMessage): void {
    if (member.rank !== 0 || decoded.message.generation !== this.generation) return this.drop('unexpected-sender', `state from rank ${member.rank} of generation ${decoded.message.generation}`, member.peer);
    const tensor = decoded.tensors[0];
    if (!tensor || tensor.descriptor.dtype !== 'uint8') return this.drop('malformed', 'state without a uint8 payload', member.peer);
    const final = decoded.message.type === 'state' && decoded.message.final;
    // Copy out of ZeroMQ's frames before the async write.
    const bytes = new Uint8Array(tensorToArray(tensor) as Uint8Array);
    const pulled: PulledState = { step: decoded.message.step, bytes, final };
    this.onState(pulled).then(
      () => {
        if (pulled.final) this.finish(pulled);
      },
      (error: unknown) => this.abort(new RunFailedError(`cannot write the checkpoint of step ${pulled.step}: ${error instanceof Error ? error.message : String(error)}`)),
    );
  }

  private finish(finalState: PulledState): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    for (const m of this.byRank) if (this.membership.has(m)) this.send(m, 'shutdown', { reason: 'run complete', exitCode: 0 });
    this.settle.resolve(finalState);
  }

  private tick(): void {
    if (this.phase === 'ended') return;
    const now = performance.now();
    if (now - this.lastHeartbeat >= this.heartbeatMs * 0.9) {
      this.lastHeartbeat = now;
      for (const m of this.membership.all()) this.send(m, 'heartbeat', { sentAt: Date.now(), workerId: hostname() });
    }
    for (const { member, silentMs } of this.membership.silent(now)) {
      this.lose(member, `missed ${this.membership.misses} heartbeats (${(silentMs / 1000).toFixed(1)} s silent): it died or hangs`);
      if (this.ended) return;
    }
    const rejoinMs = this.options.rejoinTimeoutMs ?? 60_000;
    if (this.phase === 'degraded' && now - this.degradedSince > rejoinMs) {
      return this.abort(new RunFailedError(`only ${this.membership.size} workers left (minimum ${this.minWorkers}) and none rejoined within ${rejoinMs / 1000} s`));
    }
    // Progress, apart from liveness: every member answers, yet no step completes.
    const stall = this.phase === 'training' && !this.stopRequested && this.ledger.lastCompleted < this.options.config.training.steps ? this.ledger.stalled(now) : undefined;
    if (stall) {
      const ranks = this.byRank.filter((m) => this.membership.has(m)).map((m) => m.rank);
      this.abort(new RunFailedError(`no step completed for ${(stall.silentMs / 1000).toFixed(1)} s although every worker answers heartbeats: the ring stalls (deadline ${stall.rule}; --stall-timeout sets the floor)`, ranks));
    }
  }
}

export { PROTOCOL_VERSION };
