import { Push } from 'zeromq';
import { type LinkSender, within } from './link.js';

const POLL_MS = 100;

/**
 * The sending side over ZeroMQ: one PUSH socket to the ring successor. zeromq.js allows one send
 * in flight per socket, so frames go through a FIFO chain; callers enqueue and never await each
 * send. Frames are sent without copying (see LinkSender).
 */
export class RingSender implements LinkSender {
  private readonly socket: Push;
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private failure: Error | undefined;
  private closed = false;
  messages = 0;
  bytes = 0;

  /** With `curve` (the cluster keypair) the socket is a CURVE client of the successor's endpoint. */
  constructor(address: string, lingerMs: number, curve?: { readonly publicKey: string; readonly secretKey: string }) {
    // Sends time out and are retried, so a readiness notification lost by the binding delays a
    // message instead of stranding it (and everything queued behind it).
    const keys =
      curve === undefined
        ? {}
        : { curveServerKey: curve.publicKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey };
    this.socket = new Push({ linger: lingerMs, sendHighWaterMark: 0, sendTimeout: POLL_MS, ...keys });
    this.socket.connect(address);
  }

  get idle(): boolean {
    return this.inFlight === 0;
  }

  /** The first send failure, if any (only closing the socket makes sends fail). */
  get error(): Error | undefined {
    return this.failure;
  }

  enqueue(frames: Buffer[]): void {
    if (this.closed) return;
    this.inFlight++;
    let size = 0;
    for (const frame of frames) size += frame.byteLength;
    this.tail = this.tail
      .then(() => this.sendWithRetry(frames))
      .then(
        () => {
          this.messages++;
          this.bytes += size;
        },
        (error: unknown) => {
          this.failure ??= error instanceof Error ? error : new Error(String(error));
        },
      )
      .finally(() => {
        this.inFlight--;
      });
  }

  private async sendWithRetry(frames: Buffer[]): Promise<void> {
    for (;;) {
      if (this.closed) return;
      try {
        await this.socket.send(frames);
        return;
      } catch (error) {
        if (this.closed || (error as { code?: unknown }).code !== 'EAGAIN') throw error;
      }
    }
  }

  /** Resolves when every enqueued message has been handed to ZeroMQ. */
  drained(): Promise<void> {
    return this.tail;
  }

  /** Like drained(), but gives up after `withinMs` (messages still queued then stay queued). */
  async drain(withinMs: number): Promise<void> {
    if (!this.idle) await within(this.tail, withinMs);
  }

  /**
   * Queued messages still go out for up to the linger time, unless `discard` (a broken ring,
   * where nobody will read them): then they are dropped at once.
   */
  close(discard = false): void {
    if (this.closed) return;
    this.closed = true;
    if (discard) this.socket.linger = 0;
    this.socket.close();
  }
}
