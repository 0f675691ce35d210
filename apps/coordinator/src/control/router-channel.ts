import { Reply, Router } from 'zeromq';
import { MessageCodec, ProtocolError, type DecodedMessage, type Message, type Secret, type TensorInput } from '@awn/protocol';

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

/** A decoded control message and the ZeroMQ identity of the peer that sent it. */
export interface Incoming {
  peer: Buffer;
  decoded: DecodedMessage;
}

/**
 * The coordinator's control socket: a ROUTER bound for every worker's DEALER. Sends go through a
 * FIFO (zeromq.js allows one send in flight per socket); receives are decoded and validated by
 * the protocol codec, and anything malformed, oversize, unsigned or from another protocol version
 * is dropped and reported to `onDrop`, never passed on.
 */
export class RouterChannel {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly reader: Promise<void>;

  private constructor(
    private readonly socket: Router,
    readonly address: string,
    private readonly codec: MessageCodec,
    private readonly onMessage: (m: Incoming) => void,
    private readonly onDrop: (error: ProtocolError, peer: Buffer) => void,
    private readonly releaseZap: (() => void) | undefined,
  ) {
    this.reader = this.read();
  }

  /**
   * Binds `address` (port 0 or * picks a free port; `address` then names it). With `curve` the
   * socket is a CURVE server that admits only clients holding the cluster keypair.
   */
  static async bind(
    address: string,
    options: { secret?: Secret; curve?: CurveKeys; onMessage: (m: Incoming) => void; onDrop: (error: ProtocolError, peer: Buffer) => void },
  ): Promise<RouterChannel> {
    const releaseZap = options.curve === undefined ? undefined : await acquireZapHandler();
    const socket = new Router({ linger: 1000, receiveTimeout: POLL_MS, mandatory: false, ...curveServerOptions(options.curve) });
    try {
      await socket.bind(address.replace(/:0$/, ':*'));
    } catch (error) {
      socket.close();
      releaseZap?.();
      throw new Error(`cannot bind coordinator socket ${address}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const codec = new MessageCodec({ secret: options.secret });
    return new RouterChannel(socket, socket.lastEndpoint ?? address, codec, options.onMessage, options.onDrop, releaseZap);
  }

  /** Queues a message to one peer; never throws (a vanished peer is noticed by heartbeats). */
  send(peer: Buffer, message: Message, tensors: readonly TensorInput[] = []): void {
    if (this.closed) return;
    const frames = this.codec.encode(message, tensors);
    this.tail = this.tail
      .then(async () => {
        for (;;) {
          if (this.closed) return;
          try {
            await this.socket.send([peer, ...frames]);
            return;
          } catch (error) {
            if ((error as { code?: string }).code !== 'EAGAIN') return;
          }
        }
      })
      .catch(() => undefined);
  }

  /** Resolves once every queued message was handed to ZeroMQ. */
  drained(): Promise<void> {
    return this.tail;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drained();
    this.closed = true;
    this.socket.close();
    await this.reader;
    this.releaseZap?.();
  }

  private async read(): Promise<void> {
    while (!this.closed) {
      let frames: Buffer[];
      try {
        frames = await this.socket.receive();
      } catch (error) {
        if (this.closed || (error as { code?: string }).code === 'EAGAIN') continue;
        return;
      }
      const [peer, ...body] = frames;
      if (!peer) continue;
      try {
        this.onMessage({ peer, decoded: this.codec.decode(body) });
      } catch (error) {
        if (error instanceof ProtocolError) this.onDrop(error, peer);
        else throw error;
      }
    }
  }
}
