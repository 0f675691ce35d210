import type { CurveKeys } from '@awn/collective';
import { Dealer, type Context } from 'zeromq';
import { clientSecurity, receiveLoop, SendQueue } from '@awn/collective';
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
/** How long queued messages may still leave after close (ms). */
export const DEALER_LINGER_MS = 1000;

/**
 * A worker's control connection to the coordinator (DEALER → ROUTER). Sends are queued (the
 * shared FIFO of packages/collective/src/channel); received messages are decoded and validated, and anything the
 * codec refuses is counted and dropped, never passed on: a malformed message cannot crash a worker.
 */
export class DealerChannel {
  private readonly socket: Dealer;
  private codec: MessageCodec;
  private readonly queue: SendQueue;
  private closed = false;
  private readonly reader: Promise<void>;
  readonly dropped = new Map<string, number>();

  constructor(
    readonly address: string,
    private readonly options: {
      secret?: Secret;
      /** Cluster CURVE keypair: the coordinator's ROUTER is then a CURVE server with its secret key. */
      curve?: CurveKeys;
      onMessage: (m: DecodedMessage) => void;
      onDrop?: (e: ProtocolError) => void;
      /** ZeroMQ context (default: the process-wide one); the control thread passes its own. */
      context?: Context;
    },
  ) {
    this.socket = new Dealer({
      linger: DEALER_LINGER_MS,
      receiveTimeout: POLL_MS,
      immediate: false,
      maxMessageSize: MAX_FRAME_BYTES,
      ...clientSecurity({ curve: options.curve }),
      ...(options.context ? { context: options.context } : {}),
    });
    this.socket.connect(address);
    this.codec = new MessageCodec({ secret: options.secret });
    this.queue = new SendQueue(this.socket);
    this.reader = receiveLoop(
      this.socket,
      () => this.closed,
      (frames) => this.handle(frames),
    );
  }

  /** From now on only messages of `runId` are accepted (once the coordinator told us the run). */
  pinRun(runId: string): void {
    // The same replay guard: what was accepted before the pin stays seen.
    this.codec = new MessageCodec({ runId, secret: this.options.secret, replayGuard: this.codec.replayGuard });
  }

  send(message: Message, tensors: readonly TensorInput[] = []): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.queue.enqueue(this.codec.encode(message, tensors));
  }

  /** Closes the socket; `discard` drops queued messages instead of lingering to deliver them. */
  async close(discard = false): Promise<void> {
    if (this.closed) return;
    if (discard) this.socket.linger = 0;
    else await this.queue.drained();
    this.closed = true;
    this.queue.close();
    this.socket.close();
    await this.reader;
  }

  private handle(frames: Buffer[]): void {
    let decoded: DecodedMessage;
    try {
      decoded = this.codec.decode(frames);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.dropped.set(error.code, (this.dropped.get(error.code) ?? 0) + 1);
      this.options.onDrop?.(error);
      return;
    }
    this.options.onMessage(decoded);
  }
}
