import { Push } from 'zeromq';
import { MAX_FRAME_BYTES } from '@awn/protocol';
import { clientSecurity, SendQueue, type SocketSecurity } from './channel/index.js';
import { type LinkSender, within } from './link.js';

const POLL_MS = 100;

/**
 * The sending side over ZeroMQ: one PUSH socket to the ring successor, sending through the shared
 * FIFO (channel/send-queue.ts); callers enqueue and never await each send. Frames are sent without
 * copying (see LinkSender).
 */
export class RingSender implements LinkSender {
  private readonly socket: Push;
  private readonly queue: SendQueue;
  private closed = false;

  /**
   * With `security.curve` (the cluster keypair) the socket is a CURVE client of the successor's
   * endpoint; with `security.plainPassword` a PLAIN client presenting the run's password.
   */
  constructor(address: string, lingerMs: number, security: SocketSecurity = {}) {
    // Sends time out and are retried, so a readiness notification lost by the binding delays a
    // message instead of stranding it (and everything queued behind it).
    this.socket = new Push({
      linger: lingerMs,
      sendHighWaterMark: 0,
      sendTimeout: POLL_MS,
      maxMessageSize: MAX_FRAME_BYTES,
      ...clientSecurity(security),
    });
    this.socket.connect(address);
    this.queue = new SendQueue(this.socket);
  }

  get messages(): number {
    return this.queue.messages;
  }

  get bytes(): number {
    return this.queue.bytes;
  }

  get idle(): boolean {
    return this.queue.idle;
  }

  /** The first send failure, if any (only closing the socket makes sends fail). */
  get error(): Error | undefined {
    return this.queue.error;
  }

  enqueue(frames: Buffer[]): void {
    if (this.closed) return;
    void this.queue.enqueue(frames);
  }

  /** Resolves when every enqueued message has been handed to ZeroMQ. */
  drained(): Promise<void> {
    return this.queue.drained();
  }

  /** Like drained(), but gives up after `withinMs` (messages still queued then stay queued). */
  async drain(withinMs: number): Promise<void> {
    if (!this.idle) await within(this.queue.drained(), withinMs);
  }

  /**
   * Queued messages still go out for up to the linger time, unless `discard` (a broken ring,
   * where nobody will read them): then they are dropped at once.
   */
  close(discard = false): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
    if (discard) this.socket.linger = 0;
    this.socket.close();
  }
}
