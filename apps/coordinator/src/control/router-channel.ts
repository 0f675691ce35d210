import { Router } from 'zeromq';
import { acquireZapHandler, bindSocket, type CurveKeys, receiveLoop, SendQueue, serverSecurity } from '@awn/collective';
import {
  MAX_FRAME_BYTES,
  MessageCodec,
  ProtocolError,
  type DecodedMessage,
  type Message,
  type Secret,
  type TensorInput,
} from '@awn/protocol';

const POLL_MS = 100;

/** A decoded control message and the ZeroMQ identity of the peer that sent it. */
export interface Incoming {
  peer: Buffer;
  decoded: DecodedMessage;
}

/**
 * The coordinator's control socket: a ROUTER bound for every worker's DEALER. Sends go through the
 * shared FIFO (packages/collective/src/channel); receives are decoded and validated by the
 * protocol codec, and anything malformed, oversize, unsigned or from another protocol version is
 * dropped and reported to `onDrop`, never passed on.
 */
export class RouterChannel {
  private readonly queue: SendQueue;
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
    this.queue = new SendQueue(socket);
    this.reader = receiveLoop(
      socket,
      () => this.closed,
      (frames) => this.handle(frames),
    );
  }

  /**
   * Binds `address` (port 0 or * picks a free port; `address` then names it). With `curve` the
   * socket is a CURVE server that admits only clients holding the cluster keypair.
   */
  static async bind(
    address: string,
    options: {
      secret?: Secret;
      curve?: CurveKeys;
      onMessage: (m: Incoming) => void;
      onDrop: (error: ProtocolError, peer: Buffer) => void;
    },
  ): Promise<RouterChannel> {
    const releaseZap = options.curve === undefined ? undefined : await acquireZapHandler();
    const socket = new Router({
      linger: 1000,
      receiveTimeout: POLL_MS,
      mandatory: false,
      // libzmq drops a connection announcing a larger frame before buffering it (the codec's
      // limits would only refuse it after the whole message had been received).
      maxMessageSize: MAX_FRAME_BYTES,
      ...serverSecurity({ curve: options.curve }),
    });
    const bound = await bindSocket(socket, address, 'coordinator socket', releaseZap);
    const codec = new MessageCodec({ secret: options.secret });
    return new RouterChannel(socket, bound, codec, options.onMessage, options.onDrop, releaseZap);
  }

  /** Queues a message to one peer; never throws (a vanished peer is noticed by heartbeats). */
  send(peer: Buffer, message: Message, tensors: readonly TensorInput[] = []): void {
    if (this.closed) return;
    void this.queue.enqueue([peer, ...this.codec.encode(message, tensors)]);
  }

  /** Resolves once every queued message was handed to ZeroMQ. */
  drained(): Promise<void> {
    return this.queue.drained();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drained();
    this.closed = true;
    this.queue.close();
    this.socket.close();
    await this.reader;
    this.releaseZap?.();
  }

  private handle(frames: Buffer[]): void {
    const [peer, ...body] = frames;
    if (!peer) return;
    try {
      this.onMessage({ peer, decoded: this.codec.decode(body) });
    } catch (error) {
      if (error instanceof ProtocolError) this.onDrop(error, peer);
      else throw error;
    }
  }
}
