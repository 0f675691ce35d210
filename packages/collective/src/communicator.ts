import { type DecodedMessage, MessageCodec } from '@awn/protocol';
import { performance } from 'node:perf_hooks';
import { rankOrderSum, ringAllReduce } from './allreduce.js';
import { ringBroadcast } from './broadcast.js';
import { type CollectiveCounters, emptyDrops } from './counters.js';
import { RingEndpoint } from './endpoint.js';
import { CollectiveError } from './errors.js';
import { Inbox, startClock } from './inbox.js';
import {
  type AllReduceOptions,
  type BroadcastOptions,
  type CollectiveCallOptions,
  type CommunicatorOptions,
  checkAllReduceArgs,
  checkCommunicatorOptions,
  DEFAULT_CHUNK_BYTES,
  resolveCallOptions,
} from './options.js';
import { abortMessage, remoteFailure } from './remote-failure.js';
import { RingContext } from './ring-context.js';
import { openRingLink, type RingLink } from './ring-link.js';
import { tokenRound } from './tokens.js';

/** Chunks a rank buffers ahead of its collective before it stops reading (see Inbox). */
const INBOX_CHUNKS = 8;

/**
 * One rank's view of the ring: receives from rank-1, sends to rank+1 (ring-link.ts: a Unix stream
 * on one host, else ZeroMQ via its endpoint). Collectives run one at a time, in the same order on
 * every rank; each has a deadline, and any failure (timeout, mismatch, abort reported by another
 * rank) breaks the communicator for good: the caller re-forms the ring under a new generation.
 */
export class Communicator {
  readonly rank: number;
  readonly worldSize: number;
  readonly generation: number;
  readonly runId: string;
  private readonly endpoint: RingEndpoint | undefined;
  private readonly ownsEndpoint: boolean;
  private readonly sender: RingLink['sender'] | undefined;
  private readonly streamIn: RingLink['receiver'];
  private readonly codec: MessageCodec;
  private readonly inbox: Inbox;
  private readonly deadlineMs: number;
  private readonly chunkBytes: number;
  private readonly lingerMs: number;
  private readonly sink: (decoded: DecodedMessage) => Promise<void> | undefined;
  private opSeq = 0;
  private busy = false;
  private broken: CollectiveError | undefined;
  private closed = false;
  private abortForwarded = false;

  private constructor(options: CommunicatorOptions, endpoint: RingEndpoint | undefined, ownsEndpoint: boolean) {
    this.rank = options.rank;
    this.worldSize = options.worldSize;
    this.generation = options.generation;
    this.runId = options.runId;
    this.deadlineMs = options.deadlineMs ?? 30_000;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.lingerMs = options.lingerMs ?? 1000;
    // Room for a few chunks ahead of the collective: enough to keep the pipeline busy, bounded.
    this.inbox = new Inbox(INBOX_CHUNKS * this.chunkBytes);
    this.codec = new MessageCodec({ runId: options.runId, secret: options.secret, limits: options.limits });
    this.endpoint = endpoint;
    this.ownsEndpoint = ownsEndpoint;
    this.sink = (decoded) => this.receive(decoded);
    if (endpoint !== undefined) {
      const link = openRingLink(options, this.codec, this.sink, (reason) => endpoint.countDrop(reason));
      this.sender = link.sender;
      this.streamIn = link.receiver;
      endpoint.attach(this.generation, this.sink);
    }
  }

  /** Validates the options, binds (unless given an endpoint) and connects to the successor. */
  static async create(options: CommunicatorOptions): Promise<Communicator> {
    checkCommunicatorOptions(options);
    const { rank, worldSize, peers } = options;
    // A world of one exchanges nothing: no sockets at all.
    if (worldSize === 1) return new Communicator(options, undefined, false);
    if (options.endpoint !== undefined) return new Communicator(options, options.endpoint, false);
    const address = options.bindAddress ?? peers[rank]!;
    const endpoint = await RingEndpoint.bind(address, {
      runId: options.runId,
      secret: options.secret,
      curve: options.curve,
      plainPassword: options.plainPassword,
      limits: options.limits,
      ipcTwin: options.preferIpc,
    });
    return new Communicator(options, endpoint, true);
  }

  /** The address this rank receives on (undefined in a world of one). */
  get address(): string | undefined {
    return this.endpoint?.address;
  }

  get counters(): CollectiveCounters {
    const received = this.endpoint?.counters;
    return {
      messagesSent: this.sender?.messages ?? 0,
      bytesSent: this.sender?.bytes ?? 0,
      messagesReceived: (received?.messagesReceived ?? 0) + (this.streamIn?.messagesReceived ?? 0),
      bytesReceived: (received?.bytesReceived ?? 0) + (this.streamIn?.bytesReceived ?? 0),
      inboxPeakBytes: this.inbox.peakBytes,
      dropped: received?.dropped ?? emptyDrops(),
    };
  }

  /** The error that broke this communicator, if one did. */
  get failure(): CollectiveError | undefined {
    return this.broken;
  }

  /**
   * Sums `buffer` across all ranks in place and returns it; every rank ends with identical bits.
   * The buffer must not be touched until the promise settles (it is sent without copying).
   */
  async allReduce(buffer: Float32Array, options: AllReduceOptions): Promise<Float32Array> {
    checkAllReduceArgs(buffer, options);
    await this.reduce(buffer, null, options);
    return buffer;
  }

  /**
   * Weighted mean Σ w_i x_i / Σ w_i in place (e.g. w = local batch size). Weights travel with the
   * data; their sum is taken in rank order so every rank divides by the same number.
   */
  async allReduceMean(buffer: Float32Array, weight: number, options: AllReduceOptions): Promise<Float32Array> {
    checkAllReduceArgs(buffer, options);
    if (!Number.isFinite(weight) || weight < 0)
      throw new CollectiveError('invalid', `allReduceMean: weight must be finite and >= 0, got ${weight}`, [this.rank]);
    // The weighting and the division happen inside the ring's single pass over each chunk.
    const weights = await this.reduce(buffer, weight, options);
    const total = rankOrderSum(weights ?? [weight]);
    if (!(total > 0))
      throw new CollectiveError('invalid', `allReduceMean: the weights sum to ${total}`, [
        ...Array(this.worldSize).keys(),
      ]);
    return buffer;
  }

  /**
   * Sends the root's buffers to every rank; resolves with the root's buffers (as byte views) on
   * the root and with received copies elsewhere (written into `buffers` when a non-root passes
   * them, which must then match the root's sizes).
   */
  async broadcast(
    buffers: readonly ArrayBufferView[] | ArrayBufferView | null,
    options: BroadcastOptions,
  ): Promise<Uint8Array[]> {
    const { root } = options;
    if (!Number.isSafeInteger(root) || root < 0 || root >= this.worldSize)
      throw new CollectiveError('invalid', `broadcast root ${root} is outside [0, ${this.worldSize})`, [this.rank]);
    const list = buffers === null ? null : ArrayBuffer.isView(buffers) ? [buffers] : buffers;
    const received = await this.run('broadcast', options, (ring) => ringBroadcast(ring, root, list, this.chunkBytes));
    if (received !== null) return received;
    if (list === null)
      throw new CollectiveError('invalid', 'broadcast: the root must pass the buffers to send', [root]);
    return list.map((v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }

  /** Resolves once every rank has entered the barrier. */
  async barrier(options: CollectiveCallOptions = {}): Promise<void> {
    await this.run('barrier', options, (ring) => tokenRound(ring, 'barrier'));
  }

  /**
   * Fails the collective in progress, and every later call, at once with code 'aborted'. For a
   * caller that learned from outside the ring (the coordinator announced a new generation, or
   * declared a peer lost) that this ring is gone: waiting out the deadline would only stall.
   * Blames no rank; the sockets stay open until close().
   */
  abort(reason: string): void {
    if (this.closed || this.broken !== undefined) return;
    const failure = new CollectiveError('aborted', `rank ${this.rank}, generation ${this.generation}: ${reason}`, []);
    this.broken = failure;
    this.inbox.fail(failure);
  }

  /** Closes the sockets it owns; a collective in progress fails with code 'closed'. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.inbox.fail(new CollectiveError('closed', `communicator of rank ${this.rank} was closed`, [this.rank]));
    this.endpoint?.detach(this.sink);
    // A collective still running fails with 'closed': nothing of it needs to arrive any more.
    const useless = this.broken !== undefined || this.busy;
    if (!useless) await this.sender?.drain(this.lingerMs);
    this.sender?.close(useless);
    this.streamIn?.close();
    if (this.ownsEndpoint && this.endpoint !== undefined) {
      this.endpoint.close();
      await this.endpoint.closedReader();
    }
  }

  private reduce(buffer: Float32Array, weight: number | null, options: AllReduceOptions): Promise<number[] | null> {
    const { bucketId, widthHash } = options;
    const chunkElements = this.chunkBytes / 4;
    return this.run('allreduce', options, (ring) =>
      ringAllReduce(ring, buffer, { bucketId, widthHash, chunkElements, weight }),
    ).then((weights) => weights ?? null);
  }

  /** Runs one collective; null in a world of one, where there is nothing to exchange. */
  private async run<T>(
    opName: string,
    options: CollectiveCallOptions,
    body: (ring: RingContext) => Promise<T>,
  ): Promise<T | null> {
    if (this.closed)
      throw new CollectiveError('closed', `${opName}: communicator of rank ${this.rank} is closed`, [this.rank]);
    if (this.broken !== undefined) throw this.broken;
    if (this.busy)
      throw new CollectiveError('busy', `${opName}: another collective is still running on rank ${this.rank}`, [
        this.rank,
      ]);
    const { step, deadlineMs } = resolveCallOptions(opName, options, this.deadlineMs, this.rank);
    const opSeq = this.opSeq++;
    if (this.sender === undefined) return null;

    this.busy = true;
    const keepaliveMs = Math.min(1000, Math.max(10, deadlineMs / 10));
    const clock = startClock(deadlineMs, keepaliveMs, (this.rank - 1 + this.worldSize) % this.worldSize);
    const ring = new RingContext(
      this.rank,
      this.worldSize,
      this.generation,
      this.runId,
      opName,
      opSeq,
      step,
      clock,
      this.codec,
      this.sender,
      this.inbox,
      this.streamIn === undefined ? undefined : (decoded) => this.streamIn?.recycle(decoded),
    );
    const stopKeepalive = ring.startKeepalive(keepaliveMs);
    try {
      const result = await body(ring);
      // Hand every message of this collective to ZeroMQ before returning: a caller that closes
      // (or exits) right after must not strand the last token its successor is waiting for.
      await this.sender.drain(clock.deadlineAt + clock.graceMs - performance.now());
      return result;
    } catch (error) {
      const failure =
        error instanceof CollectiveError
          ? error
          : new CollectiveError('aborted', `${opName} #${opSeq} on rank ${this.rank}: ${String(error)}`, [this.rank]);
      this.breakWith(failure, step);
      throw failure;
    } finally {
      stopKeepalive();
      ring.releaseLast();
      this.busy = false;
    }
  }

  /** Marks the communicator broken and tells the rest of the ring why, once. */
  private breakWith(failure: CollectiveError, step: number): void {
    this.broken ??= failure;
    if (failure.code === 'closed' || this.abortForwarded || this.sender === undefined) return;
    this.abortForwarded = true;
    const message = abortMessage(failure, this, step);
    if (message !== null) this.sender.enqueue(this.codec.encode(message));
  }

  private receive(decoded: DecodedMessage): Promise<void> | undefined {
    const message = decoded.message;
    if (message.sender !== (this.rank - 1 + this.worldSize) % this.worldSize) {
      this.endpoint?.countDrop('unexpected-sender');
      return;
    }
    switch (message.type) {
      case 'heartbeat':
        this.inbox.heard();
        return;
      case 'error': {
        const failure = remoteFailure(message, this.rank);
        this.inbox.heard();
        this.inbox.failAfterQueued(failure);
        // Between collectives nobody is waiting: remember, forward, and fail the next call.
        if (!this.busy) this.breakWith(failure, message.step);
        return;
      }
      case 'allreduce-chunk':
      case 'broadcast-chunk':
      case 'ring-token':
        return this.inbox.push(decoded);
      default:
        this.endpoint?.countDrop('unexpected-type');
    }
  }
}
