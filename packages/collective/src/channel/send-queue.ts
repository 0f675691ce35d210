/** A ZeroMQ socket's send, as the queue needs it (any socket type). */
export interface Sendable {
  send(frames: Buffer[]): Promise<void>;
}

/**
 * The FIFO every awn socket sends through: zeromq.js allows one send in flight per socket, so
 * messages are chained and callers never await a send of their own. A send that times out
 * (EAGAIN: no peer ready, or a readiness notification lost) is retried until it goes out or the
 * queue is closed, so a message is delayed, never stranded with everything queued behind it.
 * Shared by the coordinator's ROUTER, the worker's DEALER and the ring's PUSH.
 */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private failure: Error | undefined;
  private closed = false;
  /** Messages and bytes handed to ZeroMQ so far. */
  messages = 0;
  bytes = 0;

  constructor(private readonly socket: Sendable) {}

  /** True when nothing is queued or in flight. */
  get idle(): boolean {
    return this.pending === 0;
  }

  /** The first send that failed other than by timing out (only closing the socket does that). */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * Queues `frames`; resolves when they were handed to ZeroMQ (or dropped by close). Never
   * rejects: the caller learns of a dead peer from heartbeats or deadlines, not from a send.
   */
  enqueue(frames: Buffer[]): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.pending++;
    let size = 0;
    for (const frame of frames) size += frame.byteLength;
    this.tail = this.tail
      .then(() => this.sendWithRetry(frames))
      .then(
        (sent) => {
          if (!sent) return;
          this.messages++;
          this.bytes += size;
        },
        (error: unknown) => {
          this.failure ??= error instanceof Error ? error : new Error(String(error));
        },
      )
      .finally(() => {
        this.pending--;
      });
    return this.tail;
  }

  /** Resolves when every queued message has been handed to ZeroMQ. */
  drained(): Promise<void> {
    return this.tail;
  }

  /** Stops sending: what is still queued is dropped (the socket's linger covers what ZeroMQ holds). */
  close(): void {
    this.closed = true;
  }

  private async sendWithRetry(frames: Buffer[]): Promise<boolean> {
    for (;;) {
      if (this.closed) return false;
      try {
        await this.socket.send(frames);
        return true;
      } catch (error) {
        if (this.closed) return false;
        if ((error as { code?: unknown }).code !== 'EAGAIN') throw error;
      }
    }
  }
}
