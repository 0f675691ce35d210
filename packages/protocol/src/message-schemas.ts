import { field, malformed, type Infer, type Shape } from './schema.js';

/**
 * Every message of an awn cluster, written once: messages.ts derives the TypeScript types from
 * these schemas and validate.ts checks received headers against them (docs/architecture.md,
 * "Protocol"). Cross-field rules a field cannot state alone (an offset within its total, one peer
 * per rank) are the `checks` below.
 */

/** Largest rank or world size a message may name. */
export const RANK_MAX = 1 << 20;

/**
 * Carried by every message, so a receiver can refuse anything from another run, another protocol
 * version or a stale generation before looking at the body. `sender` is a rank, or -1 for the
 * coordinator and for workers that have no rank yet.
 */
export const ENVELOPE = {
  version: field.int(),
  runId: field.str(),
  generation: field.int(),
  step: field.int(),
  sender: field.int(-1, RANK_MAX),
} satisfies Shape;

/** Per-phase step timings in milliseconds. */
export const STEP_TIMINGS = {
  computeMs: field.finite(0),
  allreduceMs: field.finite(0),
  updateMs: field.finite(0),
  totalMs: field.finite(0),
} satisfies Shape;

/** The terms of the negative ELBO besides the total (may be NaN when diverged). */
export const LOSS_TERMS = {
  nll: field.number(),
  weightPrior: field.number(),
  ratePrior: field.number(),
} satisfies Shape;

/** Rank and ring of one generation; rank `broadcastRoot` sends its state to the others. */
export const ASSIGNMENT = {
  workerId: field.str(1),
  rank: field.int(0, RANK_MAX),
  worldSize: field.int(1, RANK_MAX),
  /** peers[i] is the collective address of rank i. */
  peers: field.strArray(1),
  /** Step the ring (re)starts from. */
  resumeStep: field.int(),
  /** Rank whose state every rank starts the generation from. */
  broadcastRoot: field.int(0, RANK_MAX),
} satisfies Shape;

/** The body of each message type. */
export const BODIES = {
  /** A worker announces itself to the coordinator. */
  join: {
    workerId: field.str(1),
    host: field.str(),
    pid: field.int(),
    /** Address the worker's collective endpoint is bound to, as peers should dial it. */
    dataAddress: field.str(1),
    configHash: field.str(1),
    backend: field.str(),
  },
  /** The coordinator's answer to a join: the assignment plus the run's config. */
  welcome: {
    ...ASSIGNMENT,
    config: field.json(),
    configHash: field.str(1),
    heartbeatIntervalMs: field.int(1),
  },
  /** A new generation re-forms the ring (a worker was lost or joined). */
  assignment: ASSIGNMENT,
  /** Liveness, both ways between coordinator and worker, and between ring neighbours. */
  heartbeat: {
    /** Sender's wall clock, ms since the epoch. */
    sentAt: field.finite(),
    /**
     * The coordinator's heartbeat interval (ms), in its heartbeats: a worker admitted but not yet
     * welcomed learns from it when the coordinator's silence means it is gone.
     */
    intervalMs: field.optional(field.int(1, 3_600_000)),
  },
  /** A rank finished a step: what the coordinator's step ledger records. */
  'step-done': {
    widthHash: field.uint32(),
    samples: field.int(),
    /** May be NaN or infinite: a diverged loss is reported, not refused. */
    loss: field.number(),
    timings: field.record(STEP_TIMINGS),
    /** Epoch the step's batch came from. */
    epoch: field.int(),
    /** Width of every adaptive layer after the step. */
    widths: field.intArray(),
    /** Distribution parameter of every adaptive layer (NaN for fixed layers). */
    rates: field.numberArray(),
    lossTerms: field.record(LOSS_TERMS),
    /** Layers whose width changed in this step. */
    widthChanges: field.int(),
  },
  /**
   * Header of one chunk of a ring all-reduce; the chunk is one float32 payload tensor. On the ring
   * it travels as the fixed binary header of chunk-header.ts, with the same checks.
   */
  'allreduce-chunk': {
    /** Per-communicator sequence number of the collective: ranks must issue the same sequence. */
    opSeq: field.int(),
    bucketId: field.int(),
    widthHash: field.uint32(),
    phase: field.oneOf(['reduce-scatter', 'all-gather'] as const),
    ringStep: field.int(0, RANK_MAX),
    segment: field.int(0, RANK_MAX),
    /** First element of the chunk within the bucket. */
    offset: field.int(),
    /** Elements in the chunk. */
    length: field.int(),
    /** Elements in the whole bucket. */
    total: field.int(),
    /** For weighted means: weights[j] is the weight of rank (sender - j) mod worldSize. */
    weights: field.nullable(field.finiteArray(0)),
  },
  /** Header of one chunk of a broadcast; the bytes travel as one uint8 payload tensor. */
  'broadcast-chunk': {
    opSeq: field.int(),
    root: field.int(0, RANK_MAX),
    index: field.int(),
    chunks: field.int(1),
    /** Byte length of every broadcast buffer. */
    layout: field.intArray(),
    /** Buffer this chunk belongs to; -1 only for the single empty chunk of an empty broadcast. */
    buffer: field.int(-1),
    /** Byte offset of the chunk within that buffer. */
    offset: field.int(),
  },
  /** Token circulated around the ring: barriers, and completion of collectives. */
  'ring-token': {
    opSeq: field.int(),
    purpose: field.oneOf(['barrier', 'allreduce-fin', 'broadcast-fin'] as const),
    /** Rank that injected the token. */
    origin: field.int(0, RANK_MAX),
  },
  /** Full training state; the tensors travel as named payload tensors. */
  state: {
    widths: field.intArray(),
    configHash: field.str(1),
    /** The last state of the run (its end, or an agreed stop). */
    final: field.bool(),
  },
  /**
   * The coordinator asks the ring to stop (Ctrl-C, a stop request): the ranks vote it into the
   * next all-reduce and stop together after that step, with a final checkpoint.
   */
  stop: {
    reason: field.str(),
  },
  /** A rank was declared lost: the survivors abandon its ring at once. */
  evict: {
    rank: field.int(0, RANK_MAX),
    workerId: field.str(),
    reason: field.str(),
  },
  /** The run ends; workers exit with `exitCode`. */
  shutdown: {
    reason: field.str(),
    exitCode: field.int(0, 255),
  },
  /** A failure, reported to the coordinator or forwarded by it. */
  error: {
    code: field.str(1),
    message: field.str(),
    /** Ranks the error is about (the culprit first where there is one). */
    ranks: field.intArray(0, RANK_MAX),
    /** Rank that detected the error (-1: the coordinator); differs from sender once forwarded. */
    reporter: field.int(-1, RANK_MAX),
    fatal: field.bool(),
  },
} as const satisfies { readonly [type: string]: Shape };

/** The name of a message type. */
export type MessageType = keyof typeof BODIES;

/** The body of one message type, as its schema describes it. */
export type BodyOf<T extends MessageType> = Infer<(typeof BODIES)[T]>;

type Checks = { readonly [T in MessageType]?: (body: BodyOf<T>, where: string) => void };

/** Rules between the fields of one message, run after its fields were read. */
export const CHECKS: Checks = {
  welcome: checkAssignment,
  assignment: checkAssignment,
  'allreduce-chunk': (m, where) => {
    if (m.offset > m.total) throw malformed(where, 'offset', `expected an integer in [0, ${m.total}]`);
    if (m.length > m.total - m.offset)
      throw malformed(where, 'length', `expected an integer in [0, ${m.total - m.offset}]`);
  },
  'broadcast-chunk': (m, where) => {
    if (m.index > m.chunks - 1) throw malformed(where, 'index', `expected an integer in [0, ${m.chunks - 1}]`);
    const [lo, hi] = m.layout.length === 0 ? [-1, -1] : [0, m.layout.length - 1];
    if (m.buffer < lo || m.buffer > hi) throw malformed(where, 'buffer', `expected an integer in [${lo}, ${hi}]`);
    const size = m.buffer < 0 ? 0 : (m.layout[m.buffer] ?? 0);
    if (m.offset > size) throw malformed(where, 'offset', `expected an integer in [0, ${size}]`);
  },
};

function checkAssignment(m: Infer<typeof ASSIGNMENT>, where: string): void {
  if (m.rank > m.worldSize - 1) throw malformed(where, 'rank', `expected an integer in [0, ${m.worldSize - 1}]`);
  if (m.broadcastRoot > m.worldSize - 1)
    throw malformed(where, 'broadcastRoot', `expected an integer in [0, ${m.worldSize - 1}]`);
  if (m.peers.length !== m.worldSize)
    throw malformed(where, 'peers', `lists ${m.peers.length} addresses for worldSize ${m.worldSize}`);
}
