import { Dealer, type Context } from 'zeromq';
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
 * A worker's control connection to the coordinator (DEALER → ROUTER). Sends are queued (one in
 * flight per socket in zeromq.js); received messages are decoded and validated, and anything the
 * codec refuses is counted and dropped, never passed on: a malformed message cannot crash a worker.
 */
export class DealerChannel {
  private readonly socket: Dealer;
  private codec: MessageCodec;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly reader: Promise<void>;
  readonly dropped = new Map<string, number>();

  constructor(
    readonly address: string,
    private readonly options: {
      secret?: Secret;
      /** Cluster CURVE keypair: the coordinator's ROUTER is then a CURVE server with its secret key. */
      curve?: { readonly publicKey: string; readonly secretKey: string };
      onMessage: (m: DecodedMessage) => void;
      onDrop?: (e: ProtocolError) => void;
      /** ZeroMQ context (default: the process-wide one); the control thread passes its own. */
      context?: Context;
    },
  ) {
    const curve = options.curve;
    const keys =
      curve === undefined
        ? {}
        : { curveServerKey: curve.publicKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey };
    this.socket = new Dealer({
      linger: DEALER_LINGER_MS,
      receiveTimeout: POLL_MS,
      immediate: false,
      maxMessageSize: MAX_FRAME_BYTES,
      ...keys,
      ...(options.context ? { context: options.context } : {}),
    });
    this.socket.connect(address);
    this.codec = new MessageCodec({ secret: options.secret });
    this.reader = this.read();
  }

  /** From now on only messages of `runId` are accepted (once the coordinator told us the run). */
  pinRun(runId: string): void {
    // The same replay guard: what was accepted before the pin stays seen.
    this.codec = new MessageCodec({ runId, secret: this.options.secret, replayGuard: this.codec.replayGuard });
  }

  send(message: Message, tensors: readonly TensorInput[] = []): Promise<void> {
    if (this.closed) return Promise.resolve();
    const frames = this.codec.encode(message, tensors);
    this.tail = this.tail
      .then(async () => {
        for (;;) {
          if (this.closed) return;
          try {
            await this.socket.send(frames);
            return;
          } catch (error) {
            if ((error as { code?: string }).code !== 'EAGAIN') return;
          }
        }
      })
      .catch(() => undefined);
    return this.tail;
  }

  /** Closes the socket; `discard` drops queued messages instead of lingering to deliver them. */
  async close(discard = false): Promise<void> {
    if (this.closed) return;
    if (discard) this.socket.linger = 0;
    else await this.tail;
    this.closed = true;
    this.socket.close();
    await this.reader;
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
      let decoded: DecodedMessage;
      try {
        decoded = this.codec.decode(frames);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.dropped.set(error.code, (this.dropped.get(error.code) ?? 0) + 1);
        this.options.onDrop?.(error);
        continue;
      }
      this.options.onMessage(decoded);
    }
  }
}
