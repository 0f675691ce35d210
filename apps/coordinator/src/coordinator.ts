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
  rank: number;
  lastSeen: number;
  done: boolean;
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
  private readonly byRank: Member[] = [];
  private readonly pending = new Map<number, Map<number, StepDoneMessage & StepDoneDetails>>();
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
  readonly dropped = new Map<string, number>();
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
    this.finished = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    // The run's outcome is observed through run(); keep an early abort from being unhandled.
    this.finished.catch(() => undefined);
  }

  /** Binds the control socket; `address` is then the endpoint workers dial. */
  async start(): Promise<string> {
    this.channel = await RouterChannel.bind(this.options.bind, {
      secret: this.options.secret,
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
  workerStates(): { joining: number; training: number; done: number } {
    const joined = [...this.members.values()];
    const training = this.started && !this.ended ? joined.length : 0;
    return { joining: this.started ? 0 : joined.length, training, done: this.ended ? joined.length : 0 };
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
        return this.abort(new RunFailedError(`rank ${member.rank} (${member.workerId}) reported ${message.code}: ${message.message}`, message.ranks.length ? message.ranks : [member.rank]));
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
    if (this.started || this.members.size >= this.options.workers) return this.reject(peer, 'run-full', `the run already has its ${this.options.workers} workers`);
    this.members.set(join.workerId, { workerId: join.workerId, peer, join, rank: -1, lastSeen: performance.now(), done: false });
    this.options.logger.info({ workerId: join.workerId, host: join.host, pid: join.pid }, `worker joined (${this.members.size}/${this.options.workers})`);
    if (this.members.size === this.options.workers) this.begin();
  }

  /** Ranks in join order; rank 0 broadcasts the initial state so every replica starts identical. */
  private begin(): void {
    this.started = true;
    clearTimeout(this.joinTimer);
    const members = [...this.members.values()];
    members.forEach((m, rank) => {
      m.rank = rank;
      this.byRank[rank] = m;
    });
    const peers = members.map((m) => m.join.dataAddress);
    for (const m of members) {
      this.send(m, 'welcome', {
        workerId: m.workerId,
        rank: m.rank,
        worldSize: members.length,
        peers,
        resumeStep: 0,
        stateSource: 'broadcast',
        broadcastRoot: 0,
        checkpointPath: null,
        config: {
          ...(this.options.config as unknown as Record<string, JsonValue>),
          cluster: { collectiveDeadlineMs: this.options.collectiveDeadlineMs ?? 30_000, metricsEndpoint: this.options.metricsEndpoint ?? null },
        },
        configHash: this.configHash,
        heartbeatIntervalMs: this.heartbeatMs,
      });
    }
    this.lastStepWall = performance.now();
    this.options.logger.info({ ranks: members.map((m) => `${m.rank}:${m.workerId}`) }, `run ${this.runId} started with ${members.length} workers`);
  }

  private stepDone(member: Member, report: StepDoneMessage & StepDoneDetails): void {
    const step = report.step;
    let reports = this.pending.get(step);
    if (!reports) this.pending.set(step, (reports = new Map()));
    reports.set(member.rank, report);
    if (reports.size < this.byRank.length) return;
    this.pending.delete(step);
    const all = [...reports.values()];
    const hashes = new Set(all.map((r) => r.widthHash));
    if (hashes.size > 1) {
      const byHash = all.map((r, rank) => `rank ${rank}: ${r.widthHash}`).join(', ');
      return this.abort(new RunFailedError(`ranks disagree on the widths after step ${step} (${byHash})`, [...reports.keys()]));
    }
    const r0 = reports.get(0)!;
    const now = performance.now();
    const samples = all.reduce((n, r) => n + r.samples, 0);
    const seconds = (now - this.lastStepWall) / 1e3;
    this.lastStepWall = now;
    this.lastCompleted = step;
    this.onStep({
      step,
      generation: this.generation,
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
    if (member.rank !== 0) return this.drop('unexpected-sender', `state from rank ${member.rank}`, member.peer);
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
    for (const m of this.members.values()) {
      this.send(m, 'heartbeat', { sentAt: Date.now(), workerId: hostname() });
      if (now - m.lastSeen > this.livenessMs) {
        const who = m.rank >= 0 ? `rank ${m.rank} (${m.workerId})` : `worker ${m.workerId}`;
        this.abort(new RunFailedError(`${who} missed ${Math.round(this.livenessMs / this.heartbeatMs)} heartbeats (${((now - m.lastSeen) / 1000).toFixed(1)} s silent): it died or hangs`, m.rank >= 0 ? [m.rank] : []));
        return;
      }
    }
  }
}

export { PROTOCOL_VERSION };
