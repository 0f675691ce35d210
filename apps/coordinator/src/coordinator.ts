import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  PROTOCOL_VERSION,
  configHash as hashConfig,
  tensorToArray,
  withEnvelope,
  type DecodedMessage,
  type JoinMessage,
  type JsonValue,
  type Message,
  type MessageBody,
  type MessageType,
  type Secret,
  type StepDoneMessage,
} from '@awn/protocol';
import type { RunConfig } from '@awn/core';
import type { Logger } from '@awn/telemetry';
import { RouterChannel, type Incoming } from './control/router-channel.js';
import { RunFailedError } from './errors.js';

/** How the coordinator runs a cluster. */
export interface CoordinatorOptions {
  config: RunConfig;
  /** ZeroMQ address to bind, e.g. tcp://127.0.0.1:5555 (port 0 picks one). */
  bind: string;
  /** Number of workers the run needs before it starts. */
  workers: number;
  logger: Logger;
  /** Shared secret: every control message is signed (HMAC-SHA256) and checked. */
  secret?: Secret;
  /** Cluster CURVE keypair (z85): the control socket is then a CURVE server admitting only its holders. */
  curve?: { readonly publicKey: string; readonly secretKey: string };
  /** Heartbeat interval both ways (ms, default 1000). */
  heartbeatMs?: number;
  /** Missed heartbeats before a worker counts as dead (default 3). */
  livenessMisses?: number;
  /** How long to wait for every worker to join (ms, default 120 000). */
  joinTimeoutMs?: number;
  /** Deadline of each collective, passed to workers (ms, default 30 000). */
  collectiveDeadlineMs?: number;
  /** Run id; a random UUID by default. Workers started with --run-id must match it. */
  runId?: string;
  /** Metrics exporter snapshot endpoint announced to workers (null: no metrics). */
  metricsEndpoint?: string | null;
  /**
   * Fewest workers the run continues with after losing some (default: `workers`, i.e. any loss
   * ends the run). Below it the coordinator waits `rejoinTimeoutMs` for workers to (re)join.
   */
  minWorkers?: number;
  /** How long to wait for enough workers after losing some (ms, default 60 000). */
  rejoinTimeoutMs?: number;
  /** Training state to resume from (encoded checkpoint bytes); rank 0 receives it before starting. */
  resume?: { step: number; bytes: Uint8Array };
  /**
   * When the world size changes: keep the global batch (default; re-divided among the workers) or
   * keep each worker's batch (global batch = batchSize / workers × current workers).
   */
  batchPolicy?: 'global' | 'per-worker';
}

/** A completed step as every rank reported it. */
export interface StepProgress {
  step: number;
  /** Generation of the ring that ran the step. */
  generation: number;
  epoch: number;
  loss: { total: number; nll: number; weightPrior: number; ratePrior: number };
  widths: number[];
  rates: number[];
  widthChanges: number;
  samples: number;
  samplesPerSecond: number;
  /** Per-rank timings (ms) of this step, index = rank. */
  timings: { computeMs: number; allreduceMs: number; updateMs: number; totalMs: number }[];
}

/** A checkpoint pulled from rank 0: the encoded training-state bytes. */
export interface PulledState {
  step: number;
  bytes: Uint8Array;
  final: boolean;
}

interface Member {
  workerId: string;
  peer: Buffer;
  join: JoinMessage;
  /** Rank in the current ring, -1 while waiting for the next generation. */
  rank: number;
  lastSeen: number;
  /** Whether it has received its welcome (config) yet. */
  welcomed: boolean;
  /** Last step it reported complete (-1: none yet). */
  completed: number;
}

/** Fields the worker adds to step-done beyond the protocol's minimum (see worker/src/report.ts). */
interface StepDoneDetails {
  epoch?: number;
  widths?: number[];
  rates?: number[];
  lossTerms?: { nll: number; weightPrior: number; ratePrior: number };
  widthChanges?: number;
}

/**
 * The coordinator of one run: binds the control socket, admits exactly `workers` workers
 * (checking protocol version, run id and config hash), assigns ranks and the ring, watches
 * heartbeats, collects per-step reports and checkpoints pulled from rank 0, and ends the run with
 * a shutdown to every worker. A lost worker, a worker error or a missed deadline aborts the run
 * with a message naming the ranks (elastic recovery is the fault-tolerance layer's job).
 */
export class Coordinator {
  readonly runId: string;
  readonly configHash: string;
  private channel!: RouterChannel;
  private readonly members = new Map<string, Member>();
  /** The current generation's ring, index = rank. */
  private byRank: Member[] = [];
  /** Step reports not yet complete, by step: the generation that ran it and each rank's report. */
  private readonly pending = new Map<number, { generation: number; reports: Map<number, StepDoneMessage & StepDoneDetails> }>();
  /** World size of every generation so far. */
  private readonly ringSizes = new Map<number, number>();
  private readonly heartbeatMs: number;
  private readonly livenessMs: number;
  private started = false;
  private generation = 0;
  private lastCompleted = 0;
  private lastStepWall = performance.now();
  private finalState: PulledState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private joinTimer: NodeJS.Timeout | undefined;
  private settle!: { resolve: (s: PulledState) => void; reject: (e: Error) => void };
  private readonly finished: Promise<PulledState>;
  private ended = false;
  private degradedSince: number | undefined;
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
    this.livenessMs = this.heartbeatMs * (options.livenessMisses ?? 3);
    this.minWorkers = options.minWorkers ?? options.workers;
    if (!Number.isInteger(this.minWorkers) || this.minWorkers < 1 || this.minWorkers > options.workers) {
      throw new RangeError(`minWorkers must be an integer in [1, ${options.workers}], got ${options.minWorkers}`);
    }
    if (options.resume) this.lastCompleted = options.resume.step;
    if (options.batchPolicy === 'per-worker' && options.config.training.batchSize % options.workers !== 0) {
      throw new RangeError(`with the per-worker batch policy, training.batchSize (${options.config.training.batchSize}) must be a multiple of the ${options.workers} workers`);
    }
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
    this.timer = setInterval(() => this.safely(() => this.tick()), this.heartbeatMs);
    this.joinTimer = setTimeout(() => {
      if (!this.started) this.abort(new RunFailedError(`only ${this.members.size} of ${this.options.workers} workers joined within ${(this.options.joinTimeoutMs ?? 120_000) / 1000} s`));
    }, this.options.joinTimeoutMs ?? 120_000);
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
    for (const m of this.byRank) this.send(m, 'checkpoint-request', { requestId: `stop-${Date.now()}`, reason: 'manual', path: null });
    this.options.logger.warn({ reason }, 'stop requested: workers finish the current step, rank 0 sends its final state');
  }

  /** Aborts the run: every worker is told to exit and run() rejects with `error`. */
  abort(error: RunFailedError): void {
    if (this.ended) return;
    this.ended = true;
    this.options.logger.error({ ranks: error.ranks }, error.message);
    for (const m of this.members.values()) this.send(m, 'shutdown', { reason: error.message, exitCode: 1 });
    this.settle.reject(error);
  }

  /** Workers by state, for awn_workers{state}. */
  workerStates(): { waiting: number; training: number; lost: number; done: number } {
    const all = [...this.members.values()];
    const inRing = all.filter((m) => m.rank >= 0).length;
    return { waiting: all.length - inRing, training: this.ended ? 0 : inRing, lost: this.lost.length, done: this.ended ? inRing : 0 };
  }

  /** Size of the current ring. */
  get worldSize(): number {
    return this.byRank.length;
  }

  /** Generation of the current ring. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** Last step every rank completed. */
  get completedStep(): number {
    return this.lastCompleted;
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

  private send<T extends MessageType>(member: Pick<Member, 'peer' | 'rank'>, type: T, body: Omit<MessageBody<T>, 'type'>, tensors: { name: string; data: Uint8Array }[] = []): void {
    const message = withEnvelope({ runId: this.runId, generation: this.generation, step: this.lastCompleted, sender: -1 }, type, body) as Message;
    this.channel.send(member.peer, message, tensors);
  }

  private reject(peer: Buffer, code: string, message: string): void {
    this.options.logger.warn({ code }, `refused a worker: ${message}`);
    this.send({ peer, rank: -1 }, 'error', { code, message, ranks: [], reporter: -1, fatal: true });
  }

  private receive({ peer, decoded }: Incoming): void {
    const { message } = decoded;
    if (message.type === 'join') return this.admit(peer, message);
    if (message.runId !== this.runId) {
      this.drop('run-id-mismatch', `message for run ${message.runId}`, peer);
      return;
    }
    const member = [...this.members.values()].find((m) => m.peer.equals(peer));
    if (!member) {
      this.drop('unexpected-sender', `${message.type} from a peer that never joined`, peer);
      return;
    }
    member.lastSeen = performance.now();
    switch (message.type) {
      case 'heartbeat':
        return;
      case 'step-done':
        return this.stepDone(member, message as StepDoneMessage & StepDoneDetails);
      case 'state':
        return this.state(member, decoded);
      case 'error':
        return this.workerError(member, message);
      default:
        this.drop('unexpected-type', `unexpected ${message.type} from rank ${member.rank}`, peer);
    }
  }

  private admit(peer: Buffer, join: JoinMessage): void {
    if (join.runId !== '' && join.runId !== this.runId) return this.reject(peer, 'run-id-mismatch', `worker ${join.workerId} belongs to run ${join.runId}, this coordinator runs ${this.runId}`);
    if (join.configHash !== 'none' && join.configHash !== this.configHash) {
      return this.reject(peer, 'config-mismatch', `worker ${join.workerId} has config hash ${join.configHash.slice(0, 12)}…, the run's is ${this.configHash.slice(0, 12)}…: start it with the same config (or none)`);
    }
    if (this.members.has(join.workerId)) return this.reject(peer, 'duplicate-worker', `a worker with id ${join.workerId} already joined`);
    if (this.ended || this.members.size >= this.options.workers) return this.reject(peer, 'run-full', `the run already has its ${this.options.workers} workers`);
    this.members.set(join.workerId, { workerId: join.workerId, peer, join, rank: -1, lastSeen: performance.now(), welcomed: false, completed: -1 });
    this.options.logger.info({ workerId: join.workerId, host: join.host, pid: join.pid }, `worker joined (${this.members.size}/${this.options.workers})`);
    if (!this.started) {
      if (this.members.size === this.options.workers) this.begin();
      return;
    }
    // A new or returning worker enters at the next generation; the running ring stops at a step
    // its ranks agree on and every rank, the newcomer included, continues from the root's state.
    if (this.degradedSince === undefined || this.members.size >= this.minWorkers) this.formRing(`worker ${join.workerId} joined`);
  }

  private begin(): void {
    this.started = true;
    clearTimeout(this.joinTimer);
    this.formRing('every worker joined');
    this.options.logger.info({ ranks: this.byRank.map((m) => `${m.rank}:${m.workerId}`) }, `run ${this.runId} started with ${this.byRank.length} workers`);
  }

  /**
   * Starts a generation: ranks (current ring order first, then newcomers), the ring of peer
   * addresses, and the root whose state every rank takes: one that completed the most steps, so
   * a step applied on some ranks before a failure is never lost, and none is applied twice.
   */
  private formRing(reason: string): void {
    const first = this.byRank.length === 0 && this.generation === 0;
    if (!first) this.generation++;
    const previous = this.byRank.filter((m) => this.members.has(m.workerId));
    const newcomers = [...this.members.values()].filter((m) => !previous.includes(m));
    const ring = [...previous, ...newcomers];
    const resumeStep = Math.max(this.options.resume?.step ?? 0, ...ring.map((m) => m.completed));
    const rootMember = ring.find((m) => m.completed === resumeStep) ?? ring[0]!;
    this.flushReports(resumeStep);
    ring.forEach((m, rank) => (m.rank = rank));
    this.byRank = ring;
    this.ringSizes.set(this.generation, ring.length);
    this.degradedSince = undefined;
    const peers = ring.map((m) => m.join.dataAddress);
    const root = rootMember.rank;
    if (first && this.options.resume) {
      // The resumed state goes to the root before its welcome, so it starts from it.
      this.send(rootMember, 'state', { widths: [], configHash: this.configHash, final: false }, [{ name: 'checkpoint', data: this.options.resume.bytes }]);
    }
    for (const m of ring) {
      const fields = { workerId: m.workerId, rank: m.rank, worldSize: ring.length, peers, resumeStep, stateSource: 'broadcast' as const, broadcastRoot: root, checkpointPath: null };
      if (m.welcomed) {
        this.send(m, 'assignment', fields);
        continue;
      }
      m.welcomed = true;
      this.send(m, 'welcome', {
        ...fields,
        config: {
          ...(this.options.config as unknown as Record<string, JsonValue>),
          cluster: {
            collectiveDeadlineMs: this.options.collectiveDeadlineMs ?? 30_000,
            metricsEndpoint: this.options.metricsEndpoint ?? null,
            resume: first && this.options.resume !== undefined,
            batchPolicy: this.options.batchPolicy ?? 'global',
            workers: this.options.workers,
          },
        },
        configHash: this.configHash,
        heartbeatIntervalMs: this.heartbeatMs,
      });
    }
    this.lastStepWall = performance.now();
    if (!first) this.options.logger.warn({ generation: this.generation, worldSize: ring.length, resumeStep, root }, `generation ${this.generation}: ${ring.length} workers from step ${resumeStep} (${reason})`);
  }

  /** Reports of steps the new ring will not redo are completed with what arrived; later ones are dropped. */
  private flushReports(resumeStep: number): void {
    for (const step of [...this.pending.keys()].sort((a, b) => a - b)) {
      const entry = this.pending.get(step)!;
      if (step > resumeStep) continue; // the old ring may still complete it (an agreed stop), or a new one redoes it
      this.pending.delete(step);
      if (step > this.lastCompleted) this.emitStep(step, entry.reports);
    }
  }

  /** A worker is gone (died, hung, evicted): re-form the ring with the survivors or end the run. */
  private lose(member: Member, reason: string): void {
    if (this.ended || !this.members.has(member.workerId)) return;
    this.members.delete(member.workerId);
    this.lost.push(member.workerId);
    const who = member.rank >= 0 ? `rank ${member.rank} (${member.workerId})` : `worker ${member.workerId}`;
    // If it is alive after all (stalled, partitioned), it must not rejoin this ring silently.
    this.send(member, 'evict', { rank: Math.max(member.rank, 0), workerId: member.workerId, reason });
    if (!this.started) {
      this.options.logger.warn({ workerId: member.workerId }, `${who} left before the run started: ${reason}`);
      return;
    }
    if (this.minWorkers === this.options.workers) {
      this.abort(new RunFailedError(`${who} ${reason}`, member.rank >= 0 ? [member.rank] : []));
      return;
    }
    this.options.logger.warn({ workerId: member.workerId, rank: member.rank }, `lost ${who}: ${reason}`);
    if (this.members.size >= this.minWorkers) {
      this.formRing(`lost ${who}`);
    } else {
      this.degradedSince = performance.now();
      this.byRank = this.byRank.filter((m) => this.members.has(m.workerId));
      this.options.logger.warn({ alive: this.members.size, minWorkers: this.minWorkers }, `waiting up to ${(this.options.rejoinTimeoutMs ?? 60_000) / 1000} s for workers to (re)join`);
    }
  }

  private workerError(member: Member, message: { code: string; message: string; ranks: readonly number[]; fatal: boolean; generation: number }): void {
    if (message.generation < this.generation) return; // about a ring that no longer exists
    const recoverable = !message.fatal && (message.code === 'timeout' || message.code === 'aborted' || message.code === 'closed');
    if (!recoverable || this.minWorkers === this.options.workers) {
      return this.abort(new RunFailedError(`rank ${member.rank} (${member.workerId}) reported ${message.code}: ${message.message}`, message.ranks.length ? message.ranks : [member.rank]));
    }
    // The reporting rank names the culprit first; dropping it now beats waiting for heartbeats.
    const culprit = this.byRank[message.ranks[0] ?? -1];
    if (culprit && culprit !== member) this.lose(culprit, `was blamed by rank ${member.rank}: ${message.message}`);
  }

  private stepDone(member: Member, report: StepDoneMessage & StepDoneDetails): void {
    // A ring that is being replaced finishes its steps up to the agreed stop: still count them.
    const expected = this.ringSizes.get(report.generation);
    if (expected === undefined) return;
    const step = report.step;
    member.completed = Math.max(member.completed, step);
    if (step <= this.lastCompleted) return;
    let entry = this.pending.get(step);
    if (entry && entry.generation < report.generation) entry = undefined; // redone by a newer ring
    if (entry && entry.generation > report.generation) return;
    if (!entry) this.pending.set(step, (entry = { generation: report.generation, reports: new Map() }));
    entry.reports.set(report.sender, report);
    if (entry.reports.size < expected) return;
    this.pending.delete(step);
    const hashes = new Set([...entry.reports.values()].map((r) => r.widthHash));
    if (hashes.size > 1) {
      const byHash = [...entry.reports.entries()].map(([rank, r]) => `rank ${rank}: ${r.widthHash}`).join(', ');
      return this.abort(new RunFailedError(`ranks disagree on the widths after step ${step} (${byHash})`, [...entry.reports.keys()]));
    }
    this.emitStep(step, entry.reports);
  }

  private emitStep(step: number, reports: Map<number, StepDoneMessage & StepDoneDetails>): void {
    const all = [...reports.values()];
    const r0 = reports.get(0) ?? all[0]!;
    const now = performance.now();
    const reported = all.reduce((n, r) => n + r.samples, 0);
    // A step flushed when its ring broke may lack the lost rank's report; its batch was still
    // the whole ring's, so scale up (exact for equal shards, off by at most one otherwise).
    const ringSize = this.ringSizes.get(r0.generation) ?? all.length;
    const samples = all.length < ringSize ? Math.round((reported / all.length) * ringSize) : reported;
    const seconds = (now - this.lastStepWall) / 1e3;
    this.lastStepWall = now;
    this.lastCompleted = Math.max(this.lastCompleted, step);
    this.onStep({
      step,
      generation: r0.generation,
      epoch: r0.epoch ?? 0,
      loss: { total: r0.loss, nll: r0.lossTerms?.nll ?? Number.NaN, weightPrior: r0.lossTerms?.weightPrior ?? Number.NaN, ratePrior: r0.lossTerms?.ratePrior ?? Number.NaN },
      widths: r0.widths ?? [],
      rates: r0.rates ?? [],
      widthChanges: r0.widthChanges ?? 0,
      samples,
      samplesPerSecond: seconds > 0 ? samples / seconds : 0,
      timings: [...reports.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => ({ ...r.timings })),
    });
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
        if (!pulled.final) return;
        this.finalState = pulled;
        this.finishIfDone();
      },
      (error: unknown) => this.abort(new RunFailedError(`cannot write the checkpoint of step ${pulled.step}: ${error instanceof Error ? error.message : String(error)}`)),
    );
  }

  private finishIfDone(): void {
    if (!this.finalState || this.ended) return;
    this.ended = true;
    for (const m of this.byRank) this.send(m, 'shutdown', { reason: 'run complete', exitCode: 0 });
    this.settle.resolve(this.finalState);
  }

  private tick(): void {
    if (this.ended) return;
    const now = performance.now();
    for (const m of [...this.members.values()]) {
      this.send(m, 'heartbeat', { sentAt: Date.now(), workerId: hostname() });
      if (now - m.lastSeen > this.livenessMs) {
        this.lose(m, `missed ${Math.round(this.livenessMs / this.heartbeatMs)} heartbeats (${((now - m.lastSeen) / 1000).toFixed(1)} s silent): it died or hangs`);
        if (this.ended) return;
      }
    }
    if (this.degradedSince !== undefined && now - this.degradedSince > (this.options.rejoinTimeoutMs ?? 60_000)) {
      this.abort(new RunFailedError(`only ${this.members.size} workers left (minimum ${this.minWorkers}) and none rejoined within ${(this.options.rejoinTimeoutMs ?? 60_000) / 1000} s`));
    }
  }
}

export { PROTOCOL_VERSION };
