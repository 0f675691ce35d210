import { type DecodedMessage, type Limits, MessageCodec, ProtocolError, type Secret } from '@awn/protocol';
import { Pull, Reply } from 'zeromq';
import { type DropReason, emptyDrops } from './counters.js';

export interface EndpointOptions {
  readonly runId: string;
  readonly secret?: Secret;
  readonly limits?: Partial<Limits>;
  /** Cluster CURVE keypair: the endpoint is then a CURVE server admitting only its holders. */
  readonly curve?: CurveKeys;
}

const POLL_MS = 100;

/** A cluster CURVE keypair (z85): servers use the secret key, clients present the pair. */
export interface CurveKeys {
  readonly publicKey: string;
  readonly secretKey: string;
}

// ZAP (ZeroMQ RFC 27): libzmq asks the handler bound to inproc://zeromq.zap.01 in the socket's
// context about every CURVE handshake. Without a handler, libzmq 4.3 admits any client that knows
// the server's public key, so a CURVE server here is only bound while the handler runs. The
// server's zapDomain is the cluster public key, and the handler admits a client only when its
// (handshake-proven) public key equals the domain: only holders of the cluster secret key get in.
// The handler is stateless and shared through a global registry, so the coordinator's and the
// collective's copies of this code can serve sockets of the same process.
const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const ZAP_REGISTRY = Symbol.for('awn.zeromq.zap-handler');

interface ZapRegistry {
  users: number;
  socket: Reply | undefined;
  ready: Promise<void> | undefined;
}

function z85(data: Buffer): string {
  let out = '';
  for (let i = 0; i + 4 <= data.length; i += 4) {
    let value = data.readUInt32BE(i);
    let chunk = '';
    for (let j = 0; j < 5; j++) {
      chunk = Z85[value % 85]! + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

async function serveZap(socket: Reply): Promise<void> {
  for (;;) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch {
      return;
    }
    const [version, requestId, domain, , , mechanism, clientKey] = frames;
    const admitted =
      version?.toString() === '1.0' && mechanism?.toString() === 'CURVE' && clientKey?.length === 32 && domain !== undefined && domain.length > 0 && z85(clientKey) === domain.toString();
    try {
      await socket.send(['1.0', requestId ?? '', admitted ? '200' : '400', admitted ? 'OK' : 'not a cluster key', '', '']);
    } catch {
      return;
    }
  }
}

async function bindZap(socket: Reply): Promise<void> {
  // A handler released a moment ago may still hold the inproc address while libzmq closes it.
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.bind('inproc://zeromq.zap.01');
      return;
    } catch (error) {
      if (attempt >= 40 || (error as { code?: string }).code !== 'EADDRINUSE') throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Starts (or shares) this process's ZAP handler; call the returned function to release it. */
async function acquireZapHandler(): Promise<() => void> {
  const registry = ((globalThis as Record<symbol, unknown>)[ZAP_REGISTRY] ??= { users: 0, socket: undefined, ready: undefined }) as ZapRegistry;
  registry.users++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--registry.users === 0 && registry.socket !== undefined) {
      registry.socket.close();
      registry.socket = undefined;
      registry.ready = undefined;
    }
  };
  if (registry.socket === undefined) {
    const socket = new Reply({ linger: 0 });
    registry.socket = socket;
    registry.ready = bindZap(socket).then(() => void serveZap(socket));
  }
  try {
    await registry.ready;
  } catch (error) {
    release();
    throw new Error(`cannot start the ZAP handler: ${error instanceof Error ? error.message : String(error)}`);
  }
  return release;
}

function curveServerOptions(curve: CurveKeys | undefined): { curveServer?: boolean; curveSecretKey?: string; zapDomain?: string } {
  return curve === undefined ? {} : { curveServer: true, curveSecretKey: curve.secretKey, zapDomain: curve.publicKey };
}

type Sink = (decoded: DecodedMessage) => void;

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
  private readonly releaseZap: (() => void) | undefined;

  private constructor(socket: Pull, address: string, options: EndpointOptions, releaseZap: (() => void) | undefined) {
    this.releaseZap = releaseZap;
    this.socket = socket;
    this.address = address;
    this.runId = options.runId;
    this.codec = new MessageCodec({ runId: options.runId, secret: options.secret, limits: options.limits });
    this.reader = this.read();
  }

  /** Binds `address` (a port of `*` or 0 picks a free one; `address` then names it). */
  static async bind(address: string, options: EndpointOptions): Promise<RingEndpoint> {
    // The receive timeout makes the reader re-poll the socket now and then, so a readiness
    // notification lost by the binding can delay a message but never strand it.
    const releaseZap = options.curve === undefined ? undefined : await acquireZapHandler();
    const socket = new Pull({ linger: 0, receiveHighWaterMark: 0, receiveTimeout: POLL_MS, ...curveServerOptions(options.curve) });
    try {
      await socket.bind(address.replace(/:0$/, ':*'));
    } catch (error) {
      socket.close();
      releaseZap?.();
      throw new Error(`cannot bind collective endpoint ${address}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return new RingEndpoint(socket, socket.lastEndpoint ?? address, options, releaseZap);
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
    this.sink = undefined;
    this.held = [];
    this.socket.close();
    this.releaseZap?.();
  }

  /** Resolves once the reader has stopped (after close). */
  async closedReader(): Promise<void> {
    await this.reader;
  }

  private route(decoded: DecodedMessage): void {
    const generation = decoded.message.generation;
    if (generation < this.generation) this.drops['stale-generation']++;
    else if (generation > this.generation || this.sink === undefined) this.held.push(decoded);
    else this.sink(decoded);
  }

  private async read(): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch {
        // A receive timeout (nothing arrived) or the socket closing: the loop condition decides.
        continue;
      }
      this.received++;
      for (const frame of frames) this.receivedBytes += frame.byteLength;
      let decoded: DecodedMessage;
      try {
        decoded = this.codec.decode(frames);
      } catch (error) {
        if (error instanceof ProtocolError) {
          this.drops[error.code]++;
          continue;
        }
        throw error;
      }
      this.route(decoded);
    }
  }
}
