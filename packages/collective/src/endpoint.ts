import {
  type DecodedMessage,
  type Limits,
  MAX_FRAME_BYTES,
  MessageCodec,
  ProtocolError,
  type Secret,
} from '@awn/protocol';
import { rmSync } from 'node:fs';
import { Pull } from 'zeromq';
import { type DropReason, emptyDrops } from './counters.js';
import { localTwin } from './local-twin.js';
import { bindSocket, needsZap, receiveLoop, serverSecurity } from './channel/index.js';
import { acquireZapHandler, type CurveKeys } from './zap-handler.js';

export interface EndpointOptions {
  readonly runId: string;
  readonly secret?: Secret;
  readonly limits?: Partial<Limits>;
  /** Cluster CURVE keypair: the endpoint is then a CURVE server admitting only its holders. */
  readonly curve?: CurveKeys;
  /** Run password: the endpoint is then a PLAIN server admitting only clients presenting it. */
  readonly plainPassword?: string;
  /**
   * Also bind the ipc:// twin of a loopback tcp address (local-twin.ts), which same-host
   * successors then dial instead (default true).
   */
  readonly ipcTwin?: boolean;
}

const POLL_MS = 100;
/** Messages ZeroMQ queues for the reader (each at most one chunk, ≤ 16 MiB payload). */
const RECEIVE_QUEUE_MESSAGES = 8;

/** May return a promise: the reader then takes nothing more from the socket until it settles. */
type Sink = (decoded: DecodedMessage) => Promise<void> | undefined | void;

/**
 * The receiving side of a rank: one bound PULL socket whose reader runs for the endpoint's whole
 * life, so it can outlive communicators. A worker binds it before it knows its rank (the address
 * goes into its join message) and hands it to each generation's Communicator.
 *
 * Routing by generation: messages of the attached generation go to its communicator; newer ones
 * are held for the next communicator (a faster peer may start generation g+1 first); older ones
 * are dropped and counted as stale.
 */
export class RingEndpoint {
  readonly address: string;
  readonly runId: string;
  private readonly socket: Pull;
  private readonly codec: MessageCodec;
  private sink: Sink | undefined;
  private generation = -1;
  private held: DecodedMessage[] = [];
  private readonly drops = emptyDrops();
  private received = 0;
  private receivedBytes = 0;
  private readonly reader: Promise<void>;
  private closed = false;
  private readonly closing: Promise<void>;
  private resolveClosing!: () => void;
  private readonly releaseZap: (() => void) | undefined;

  private constructor(
    socket: Pull,
    address: string,
    options: EndpointOptions,
    releaseZap: (() => void) | undefined,
    private readonly ipcAddress: string | undefined,
  ) {
    this.releaseZap = releaseZap;
    this.socket = socket;
    this.address = address;
    this.runId = options.runId;
    this.codec = new MessageCodec({ runId: options.runId, secret: options.secret, limits: options.limits });
    this.closing = new Promise((resolve) => (this.resolveClosing = resolve));
    this.reader = receiveLoop(
      socket,
      () => this.closed,
      (frames) => this.handle(frames),
    );
  }

  /** Binds `address` (a port of `*` or 0 picks a free one; `address` then names it). */
  static async bind(address: string, options: EndpointOptions): Promise<RingEndpoint> {
    // The receive timeout makes the reader re-poll the socket now and then, so a readiness
    // notification lost by the binding can delay a message but never strand it.
    const security = { curve: options.curve, plainPassword: options.plainPassword };
    const releaseZap = needsZap(security) ? await acquireZapHandler() : undefined;
    // A bounded receive queue: while the reader pauses (a collective's inbox is full), ZeroMQ stops
    // reading the connection and TCP/the Unix socket pushes back on the sender, instead of
    // buffering an unbounded stream in this process.
    const socket = new Pull({
      linger: 0,
      receiveHighWaterMark: RECEIVE_QUEUE_MESSAGES,
      receiveTimeout: POLL_MS,
      // libzmq drops a connection announcing a larger frame before buffering it.
      maxMessageSize: MAX_FRAME_BYTES,
      ...serverSecurity(security),
    });
    const bound = await bindSocket(socket, address, 'collective endpoint', releaseZap);
    const twin = options.ipcTwin === false ? undefined : localTwin(bound);
    let ipcAddress: string | undefined;
    if (twin !== undefined) {
      // Without the twin the peers dial tcp (they look for the socket file): slower, not wrong.
      ipcAddress = await socket.bind(twin).then(
        () => twin,
        () => undefined,
      );
    }
    return new RingEndpoint(socket, bound, options, releaseZap, ipcAddress);
  }

  /** The ipc:// twin this endpoint also listens on, if it bound one. */
  get localAddress(): string | undefined {
    return this.ipcAddress;
  }

  get counters(): { messagesReceived: number; bytesReceived: number; dropped: Record<DropReason, number> } {
    return { messagesReceived: this.received, bytesReceived: this.receivedBytes, dropped: { ...this.drops } };
  }

  countDrop(reason: DropReason): void {
    this.drops[reason]++;
  }

  /** Routes `generation`'s messages to `sink`, first those already held for it. */
  attach(generation: number, sink: Sink): void {
    if (this.closed) throw new Error('endpoint is closed');
    if (this.sink !== undefined) throw new Error(`endpoint already serves generation ${this.generation}`);
    if (generation < this.generation) throw new Error(`generation ${generation} is older than ${this.generation}`);
    this.generation = generation;
    this.sink = sink;
    const held = this.held;
    this.held = [];
    for (const decoded of held) this.route(decoded);
  }

  detach(sink: Sink): void {
    if (this.sink === sink) this.sink = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resolveClosing();
    this.sink = undefined;
    this.held = [];
    // ZeroMQ leaves the socket file behind. Removed while this endpoint still holds the tcp port,
    // so the path cannot belong to anyone else yet.
    if (this.ipcAddress !== undefined) {
      try {
        rmSync(this.ipcAddress.slice('ipc://'.length), { force: true });
      } catch {
        // A file that cannot be removed is a stale twin: the next binder of the port replaces it.
      }
    }
    this.socket.close();
    this.releaseZap?.();
  }

  /** Resolves once the reader has stopped (after close). */
  async closedReader(): Promise<void> {
    await this.reader;
  }

  private route(decoded: DecodedMessage): Promise<void> | undefined | void {
    const generation = decoded.message.generation;
    if (generation < this.generation) this.drops['stale-generation']++;
    else if (generation > this.generation || this.sink === undefined) this.held.push(decoded);
    else return this.sink(decoded);
  }

  /** One received message: counted, decoded (or dropped and counted), routed. */
  private handle(frames: Buffer[]): Promise<void> | undefined {
    this.received++;
    for (const frame of frames) this.receivedBytes += frame.byteLength;
    let decoded: DecodedMessage;
    try {
      decoded = this.codec.decode(frames);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.drops[error.code]++;
        return undefined;
      }
      throw error;
    }
    const backpressure = this.route(decoded);
    // Closing must not wait for a collective that will never drain its inbox.
    return backpressure === undefined ? undefined : Promise.race([backpressure, this.closing]);
  }
}
