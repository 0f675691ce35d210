/**
 * Every message of an awn cluster. Each carries the envelope (version, run id, generation, step,
 * sender) so a receiver can refuse anything from another run, another protocol version or a
 * stale generation before looking at the body. `sender` is a rank, or -1 for the coordinator and
 * for workers that have no rank yet.
 */
export interface Envelope {
  readonly version: number;
  readonly runId: string;
  readonly generation: number;
  readonly step: number;
  readonly sender: number;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Where a (re)joining rank gets its parameters from. */
export type StateSource = 'fresh' | 'broadcast' | 'checkpoint';

/** A worker announces itself to the coordinator. */
export interface JoinMessage extends Envelope {
  readonly type: 'join';
  readonly workerId: string;
  readonly host: string;
  readonly pid: number;
  /** Address the worker's collective endpoint is bound to, as peers should dial it. */
  readonly dataAddress: string;
  readonly configHash: string;
  readonly backend: string;
}

/** Rank, ring and state source for one generation. */
export interface AssignmentFields {
  readonly workerId: string;
  readonly rank: number;
  readonly worldSize: number;
  /** peers[i] is the collective address of rank i. */
  readonly peers: readonly string[];
  /** Step the ring (re)starts from. */
  readonly resumeStep: number;
  readonly stateSource: StateSource;
  /** Rank that broadcasts state when stateSource is 'broadcast'. */
  readonly broadcastRoot: number;
  /** Checkpoint to load when stateSource is 'checkpoint'. */
  readonly checkpointPath: string | null;
}

/** Coordinator's answer to a join: the assignment plus the run's config. */
export interface WelcomeMessage extends Envelope, AssignmentFields {
  readonly type: 'welcome';
  readonly config: JsonValue;
  readonly configHash: string;
  readonly heartbeatIntervalMs: number;
}

/** A new generation re-forms the ring (a worker was lost or joined). */
export interface AssignmentMessage extends Envelope, AssignmentFields {
  readonly type: 'assignment';
}

export interface HeartbeatMessage extends Envelope {
  readonly type: 'heartbeat';
  /** Sender's wall clock, ms since the epoch. */
  readonly sentAt: number;
  readonly workerId: string;
  /**
   * The coordinator's heartbeat interval (ms), in its heartbeats: a worker admitted but not yet
   * welcomed learns from it when the coordinator's silence means it is gone.
   */
  readonly intervalMs?: number;
}

export interface StepTimings {
  readonly computeMs: number;
  readonly allreduceMs: number;
  readonly updateMs: number;
  readonly totalMs: number;
}

export interface StepReadyMessage extends Envelope {
  readonly type: 'step-ready';
  readonly widthHash: number;
  /** Timings of the previous step, all zero before the first. */
  readonly timings: StepTimings;
}

/** The terms of the negative ELBO besides the total (may be NaN when diverged). */
export interface LossTerms {
  readonly nll: number;
  readonly weightPrior: number;
  readonly ratePrior: number;
}

export interface StepDoneMessage extends Envelope {
  readonly type: 'step-done';
  readonly widthHash: number;
  readonly samples: number;
  /** May be NaN or infinite: a diverged loss is reported, not refused. */
  readonly loss: number;
  readonly timings: StepTimings;
  /** Epoch the step's batch came from. */
  readonly epoch: number;
  /** Width of every adaptive layer after the step. */
  readonly widths: readonly number[];
  /** Distribution parameter of every adaptive layer (NaN for fixed layers). */
  readonly rates: readonly number[];
  readonly lossTerms: LossTerms;
  /** Layers whose width changed in this step. */
  readonly widthChanges: number;
}

export type AllReducePhase = 'reduce-scatter' | 'all-gather';

/** Header of one chunk of a ring all-reduce; the chunk itself is one float32 payload tensor. */
export interface AllReduceChunkMessage extends Envelope {
  readonly type: 'allreduce-chunk';
  /** Per-communicator sequence number of the collective: ranks must issue the same sequence. */
  readonly opSeq: number;
  readonly bucketId: number;
  readonly widthHash: number;
  readonly phase: AllReducePhase;
  readonly ringStep: number;
  readonly segment: number;
  /** First element of the chunk within the bucket. */
  readonly offset: number;
  /** Elements in the chunk. */
  readonly length: number;
  /** Elements in the whole bucket. */
  readonly total: number;
  /** For weighted means: weights[j] is the weight of rank (sender - j) mod worldSize. */
  readonly weights: readonly number[] | null;
}

/** Header of one chunk of a broadcast; the bytes travel as one uint8 payload tensor. */
export interface BroadcastChunkMessage extends Envelope {
  readonly type: 'broadcast-chunk';
  readonly opSeq: number;
  readonly root: number;
  readonly index: number;
  readonly chunks: number;
  /** Byte length of every broadcast buffer. */
  readonly layout: readonly number[];
  /** Buffer this chunk belongs to; -1 only for the single empty chunk of an empty broadcast. */
  readonly buffer: number;
  /** Byte offset of the chunk within that buffer. */
  readonly offset: number;
}

export type TokenPurpose = 'barrier' | 'allreduce-fin' | 'broadcast-fin';

/** Token circulated around the ring: barriers, and completion of collectives. */
export interface RingTokenMessage extends Envelope {
  readonly type: 'ring-token';
  readonly opSeq: number;
  readonly purpose: TokenPurpose;
  /** Rank that injected the token. */
  readonly origin: number;
}

/** Full training state; the tensors travel as named payload tensors. */
export interface StateMessage extends Envelope {
  readonly type: 'state';
  readonly widths: readonly number[];
  readonly configHash: string;
  /** The last state of the run (its end, or an agreed stop). */
  readonly final: boolean;
}

export type CheckpointReason = 'interval' | 'final' | 'manual';

export interface CheckpointRequestMessage extends Envelope {
  readonly type: 'checkpoint-request';
  readonly requestId: string;
  readonly reason: CheckpointReason;
  /** Target path; null lets the receiver use the run directory's default. */
  readonly path: string | null;
}

export interface CheckpointAckMessage extends Envelope {
  readonly type: 'checkpoint-ack';
  readonly requestId: string;
  readonly ok: boolean;
  readonly path: string | null;
  readonly bytes: number;
  readonly checksum: string | null;
  readonly error: string | null;
}

export interface EvictMessage extends Envelope {
  readonly type: 'evict';
  readonly rank: number;
  readonly workerId: string;
  readonly reason: string;
}

export interface ShutdownMessage extends Envelope {
  readonly type: 'shutdown';
  readonly reason: string;
  readonly exitCode: number;
}

export interface ErrorMessage extends Envelope {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
  /** Ranks the error is about (the culprit first where there is one). */
  readonly ranks: readonly number[];
  /** Rank that detected the error (-1: the coordinator); differs from sender once forwarded. */
  readonly reporter: number;
  readonly fatal: boolean;
}

export type MetricLabels = Readonly<Record<string, string>>;

export interface ScalarSample {
  readonly kind: 'gauge' | 'counter';
  readonly name: string;
  readonly labels: MetricLabels;
  /** Counters carry their running total, so a lost snapshot loses nothing. */
  readonly value: number;
}

export interface HistogramSample {
  readonly kind: 'histogram';
  readonly name: string;
  readonly labels: MetricLabels;
  /** Raw observations since the previous snapshot, in base units. */
  readonly observations: readonly number[];
}

export type MetricSample = ScalarSample | HistogramSample;

export interface MetricsMessage extends Envelope {
  readonly type: 'metrics';
  /** 'worker', 'coordinator', ... : becomes the exporter's job/process label. */
  readonly process: string;
  readonly timestamp: number;
  readonly samples: readonly MetricSample[];
}

export type Message =
  | JoinMessage
  | WelcomeMessage
  | AssignmentMessage
  | HeartbeatMessage
  | StepReadyMessage
  | StepDoneMessage
  | AllReduceChunkMessage
  | BroadcastChunkMessage
  | RingTokenMessage
  | StateMessage
  | CheckpointRequestMessage
  | CheckpointAckMessage
  | EvictMessage
  | ShutdownMessage
  | ErrorMessage
  | MetricsMessage;

export type MessageType = Message['type'];

export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** A message without its envelope: what callers fill in before `withEnvelope`. */
export type MessageBody<T extends MessageType> = Omit<MessageOf<T>, keyof Envelope>;

export const MESSAGE_TYPES: readonly MessageType[] = Object.freeze([
  'join',
  'welcome',
  'assignment',
  'heartbeat',
  'step-ready',
  'step-done',
  'allreduce-chunk',
  'broadcast-chunk',
  'ring-token',
  'state',
  'checkpoint-request',
  'checkpoint-ack',
  'evict',
  'shutdown',
  'error',
  'metrics',
] as const);

export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && (MESSAGE_TYPES as readonly string[]).includes(value);
}
