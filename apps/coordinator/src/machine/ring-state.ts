import {
  stateTransferMs,
  withEnvelope,
  type ClusterSettings,
  type JsonValue,
  type Message,
  type MessageBody,
  type MessageType,
} from '@awn/protocol';
import { estimateTrainingMemory } from '@awn/core';
import type { RunFailedError } from '../errors.js';
import { Membership, type Member } from './membership.js';
import type { CoordinatorOptions } from './options.js';
import { planRing, ringAnnouncements } from './ring-plan.js';
import { StepLedger, type StepProgress } from './step-ledger.js';

/** A checkpoint pulled from rank 0: the encoded training-state bytes. */
export interface PulledState {
  step: number;
  bytes: Uint8Array;
  final: boolean;
}

/** What the machine asks its I/O shell to do, in order. */
export type Command =
  | { kind: 'send'; peer: Buffer; message: Message; tensors: { name: string; data: Uint8Array }[] }
  | { kind: 'drop'; code: string; reason: string; peer: Buffer }
  | { kind: 'step'; progress: StepProgress }
  | { kind: 'checkpoint'; state: PulledState }
  | { kind: 'fail'; error: RunFailedError }
  | { kind: 'finish'; state: PulledState };

/**
 * 'writing': the final state is in and the workers were released; the run ends once its checkpoint
 * is written (or fails if it cannot be).
 */
export type RunPhase = 'admitting' | 'training' | 'degraded' | 'writing' | 'ended';

/**
 * What the coordinator's state machine (cluster-machine.ts) holds between events, and what every
 * event handler needs: the members, the ring of the current generation, the step ledger, the
 * commands waiting for the I/O shell (coordinator.ts), and forming a ring. The events themselves
 * (messages, ticks, checkpoints, stop requests) are ClusterMachine's.
 */
export abstract class RingState {
  phase: RunPhase = 'admitting';
  generation = 0;
  /** The current generation's ring, index = rank (members lost since stay until the next ring). */
  byRank: Member[] = [];
  readonly membership: Membership;
  readonly ledger: StepLedger;
  /** How long rank 0's state may take to arrive: its size (estimated from the config), see stateTransferMs. */
  protected readonly stateTransferMs: number;
  /** Workers lost during the run (for the summary). */
  readonly lost: string[] = [];
  protected stopRequested = false;
  protected degradedSince = 0;
  /** Why the run fails once the survivors' state is saved (see salvage), and by when it must be. */
  protected salvaging: { error: RunFailedError; until: number } | undefined;
  /** The survivors' state saved before failing, if it was. */
  salvaged: PulledState | undefined;
  protected lastHeartbeat = -Infinity;
  protected out: Command[] = [];

  constructor(
    protected readonly options: CoordinatorOptions & { heartbeatMs: number; stallFloorMs: number; minWorkers: number },
    readonly runId: string,
    readonly configHash: string,
    now: number,
  ) {
    this.membership = new Membership(
      options.workers,
      options.heartbeatMs,
      options.livenessMisses ?? 3,
      { runId, configHash },
      now,
    );
    this.ledger = new StepLedger(options.resume?.step ?? 0, options.stallFloorMs, now);
    const memory = estimateTrainingMemory(options.config);
    this.stateTransferMs = stateTransferMs(memory.parameterBytes + memory.optimizerBytes);
  }

  get ended(): boolean {
    return this.phase === 'ended';
  }
  protected inRing(): Member[] {
    return this.byRank.filter((m) => this.membership.has(m));
  }
  protected take(): Command[] {
    const out = this.out;
    this.out = [];
    return out;
  }
  protected send<T extends MessageType>(
    to: Pick<Member, 'peer'>,
    type: T,
    body: Omit<MessageBody<T>, 'type'>,
    tensors: { name: string; data: Uint8Array }[] = [],
  ): void {
    // Stamped now: an evict about the old ring carries the old generation even if a new ring follows.
    const message = withEnvelope(
      { runId: this.runId, generation: this.generation, step: this.ledger.lastCompleted, sender: -1 },
      type,
      body,
    ) as Message;
    this.out.push({ kind: 'send', peer: to.peer, message, tensors });
  }
  protected heartbeat(to: Pick<Member, 'peer'>): void {
    this.send(to, 'heartbeat', { sentAt: Date.now(), intervalMs: this.options.heartbeatMs });
  }
  protected drop(code: string, reason: string, peer: Buffer): void {
    this.out.push({ kind: 'drop', code, reason, peer });
  }
  protected fail(error: RunFailedError): void {
    if (this.ended) return;
    this.phase = 'ended';
    this.options.logger.error({ ranks: error.ranks }, error.message);
    for (const m of this.membership.all()) this.send(m, 'shutdown', { reason: error.message, exitCode: 1 });
    this.out.push({ kind: 'fail', error });
  }
  protected startRun(now: number): void {
    this.formRing('every worker joined', now);
    this.options.logger.info(
      { ranks: this.byRank.map((m) => `${m.rank}:${m.workerId}`) },
      `run ${this.runId} started with ${this.byRank.length} workers`,
    );
  }
  /** Starts a generation: ranks, the ring of peer addresses and the root (see ring-plan.ts). */
  protected formRing(reason: string, now: number): void {
    const first = this.phase === 'admitting';
    if (!first) this.generation++;
    this.phase = 'training';
    const plan = planRing(this.byRank, this.membership.all(), this.options.resume?.step ?? 0);
    for (const progress of this.ledger.flush(plan.resumeStep, now)) this.out.push({ kind: 'step', progress });
    for (const m of this.membership.all()) m.rank = -1;
    plan.ring.forEach((m, rank) => (m.rank = rank));
    this.byRank = plan.ring;
    this.ledger.ringFormed(this.generation, plan.ring.length, now);
    if (first && this.options.resume) {
      // The resumed state goes to the root before its welcome, so it starts from it.
      this.send(plan.ring[plan.root]!, 'state', { widths: [], configHash: this.configHash, final: false }, [
        { name: 'checkpoint', data: this.options.resume.bytes },
      ]);
    }
    for (const { member, kind, fields } of ringAnnouncements(plan)) {
      if (kind === 'assignment') this.send(member, 'assignment', fields);
      else
        this.send(member, 'welcome', {
          ...fields,
          config: this.configForWorkers(first),
          configHash: this.configHash,
          heartbeatIntervalMs: this.options.heartbeatMs,
        });
    }
    if (!first)
      this.options.logger.warn(
        { generation: this.generation, worldSize: plan.ring.length, resumeStep: plan.resumeStep, root: plan.root },
        `generation ${this.generation}: ${plan.ring.length} workers from step ${plan.resumeStep} (${reason})`,
      );
  }
  protected configForWorkers(first: boolean): JsonValue {
    const cluster: ClusterSettings = {
      collectiveDeadlineMs: this.options.collectiveDeadlineMs ?? this.options.stallFloorMs,
      stallTimeoutMs: this.options.stallFloorMs,
      metricsEndpoint: this.options.metricsEndpoint ?? null,
      resume: first && this.options.resume !== undefined,
      batchPolicy: this.options.batchPolicy ?? 'global',
      workers: this.options.workers,
      ...(this.options.secret === undefined ? {} : { ringAuth: this.options.ringAuth ?? 'hmac' }),
    };
    return {
      ...(this.options.config as unknown as Record<string, JsonValue>),
      cluster: cluster as Record<string, JsonValue>,
    };
  }
}
