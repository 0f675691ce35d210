import { type DecodedMessage, type MessageCodec, ProtocolError } from '@awn/protocol';
import { connect, type Socket } from 'node:net';
import type { DropReason } from './counters.js';
import { encodeHello, FrameParser, FramePool, type StreamHello } from './stream-framing.js';

/** Bytes one read may fill: the socket's buffer rarely holds more. */
const READ_BYTES = 1024 * 1024;
/** Pause between attempts to reach a predecessor that is not listening yet (ms). */
const RETRY_MS = 5;

export interface StreamReceiverOptions {
  readonly path: string;
  readonly hello: StreamHello;
  readonly codec: MessageCodec;
  /** Takes each decoded message; a promise pauses reading until it settles (a full inbox). */
  readonly deliver: (decoded: DecodedMessage) => Promise<void> | undefined;
  readonly drop: (reason: DropReason) => void;
}

/**
 * The reading end of a ring stream (stream-sender.ts): connects to the predecessor's stream,
 * retrying until it listens, introduces itself, and reads every message into one reused buffer,
 * copying frames into a pool that the collective hands back (recycle) once it consumed them.
 * Messages are decoded and checked by the same codec as ZeroMQ's (signatures included).
 */
export class StreamReceiver {
  private readonly pool = new FramePool();
  private readonly parser: FrameParser;
  private readonly scratch = Buffer.allocUnsafe(READ_BYTES);
  private socket: Socket | undefined;
  private connected = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private paused = 0;
  messagesReceived = 0;
  bytesReceived = 0;

  constructor(private readonly options: StreamReceiverOptions) {
    this.parser = new FrameParser(this.pool, options.codec.limits);
    this.dial();
  }

  /** Gives the payload frames of a consumed message back to the pool. */
  recycle(decoded: DecodedMessage): void {
    for (const tensor of decoded.tensors) for (const frame of tensor.frames) this.pool.recycle(frame);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.socket?.destroy();
  }

  private dial(): void {
    if (this.closed) return;
    const socket = connect({
      path: this.options.path,
      onread: { buffer: this.scratch, callback: (n: number, buf: Uint8Array) => this.read(buf.subarray(0, n)) },
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      socket.write(encodeHello(this.options.hello));
    });
    socket.on('error', () => {
      // 'close' follows: a predecessor not listening yet is retried; a lost one is left to the
      // collective's deadline, as with ZeroMQ.
    });
    socket.on('close', () => {
      // Unref'd: retrying alone must not keep a process alive whose communicator was never closed.
      if (!this.connected && !this.closed) this.retry = setTimeout(() => this.dial(), RETRY_MS).unref();
    });
  }

  /** Returns false to pause the socket while a delivered message waits for room. */
  private read(piece: Uint8Array): boolean {
    try {
      this.parser.push(piece, (frames) => this.message(frames));
    } catch {
      // A stream out of step cannot be read further: drop the link, the deadline decides.
      this.options.drop('malformed');
      this.socket?.destroy();
      return false;
    }
    return this.paused === 0;
  }

  private message(frames: Uint8Array[]): void {
    this.messagesReceived++;
    for (const frame of frames) this.bytesReceived += frame.byteLength;
    let decoded: DecodedMessage;
    try {
      decoded = this.options.codec.decode(frames);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.options.drop(error.code);
        return;
      }
      throw error;
    }
    const backpressure = this.options.deliver(decoded);
    if (backpressure === undefined) return;
    this.paused++;
    void backpressure.then(() => {
      if (--this.paused === 0 && !this.closed) this.socket?.resume();
    });
  }
}
