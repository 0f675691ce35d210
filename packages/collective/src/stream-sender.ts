import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { type LinkSender, within } from './link.js';
import { type StreamHello, readHello } from './stream-framing.js';

/**
 * The sending side over a Unix stream socket, for a successor on this host (stream-path.ts).
 * This rank listens; its successor connects and introduces itself (run, generation, rank), so
 * the successor is the reading end and can read into one reused buffer (stream-receiver.ts).
 * Messages go out as [frame count, (length, bytes)...]; frames are written straight from the
 * caller's memory (no copies), in order, corked into one writev per message. Messages enqueued
 * before the successor connects wait in order.
 */
export class StreamSender implements LinkSender {
  private readonly server: Server;
  private socket: Socket | undefined;
  private waiting: Buffer[][] = [];
  private inFlight = 0;
  private failure: Error | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  messages = 0;
  bytes = 0;

  constructor(
    private readonly path: string,
    private readonly expected: StreamHello,
    private readonly lingerMs: number,
  ) {
    // The path embeds this rank's tcp port, which it holds: a file there is a dead process's.
    rmSync(path, { force: true });
    this.server = createServer((conn) => this.accept(conn));
    this.server.on('error', (error) => this.fail(error));
    // Only this user may connect (the successor runs as the same user on this host).
    this.server.listen(path, () => {
      try {
        chmodSync(path, 0o600);
      } catch {
        // Closed (and removed) before listening completed.
      }
    });
  }

  get idle(): boolean {
    return this.inFlight === 0;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  enqueue(frames: Buffer[]): void {
    if (this.closed || this.failure !== undefined) return;
    this.inFlight++;
    if (this.socket === undefined) this.waiting.push(frames);
    else this.write(this.socket, frames);
  }

  drained(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async drain(withinMs: number): Promise<void> {
    if (!this.idle) await within(this.drained(), withinMs);
  }

  /**
   * Stops taking messages. What was enqueued still goes out (a successor that has not connected
   * yet gets up to the linger time to do so: the last message of a breaking rank is the error that
   * tells its neighbours why), except with `discard`, where a backlog of data still in this process
   * is dropped at once.
   */
  close(discard = false): void {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    if (socket !== undefined) {
      this.stopListening();
      if (discard && socket.writableLength > 0) socket.destroy();
      else socket.end();
    } else if (this.waiting.length > 0) {
      setTimeout(() => this.abandon(), this.lingerMs).unref();
    } else this.abandon();
    this.settle();
  }

  private abandon(): void {
    this.stopListening();
    this.waiting = [];
    if (this.socket === undefined) this.settle();
  }

  private accept(conn: Socket): void {
    conn.on('error', () => conn.destroy());
    readHello(conn, (hello) => {
      const e = this.expected;
      if (
        !this.server.listening ||
        this.socket !== undefined ||
        hello === undefined ||
        hello.runId !== e.runId ||
        hello.generation !== e.generation ||
        hello.rank !== e.rank
      ) {
        conn.destroy();
        return;
      }
      this.socket = conn;
      conn.setNoDelay(true);
      conn.on('error', (error) => this.fail(error));
      conn.on('close', () => this.fail(new Error(`rank ${e.rank} closed its ring stream`)));
      this.stopListening();
      const waiting = this.waiting;
      this.waiting = [];
      for (const frames of waiting) this.write(conn, frames);
      // Connected while lingering after close: deliver the backlog, then say goodbye.
      if (this.closed) conn.end();
    });
  }

  private write(socket: Socket, frames: Buffer[]): void {
    let size = 0;
    const lengths = Buffer.allocUnsafe(4 + 4 * frames.length);
    lengths.writeUInt32LE(frames.length, 0);
    for (const [i, frame] of frames.entries()) {
      lengths.writeUInt32LE(frame.byteLength, 4 + 4 * i);
      size += frame.byteLength;
    }
    socket.cork();
    socket.write(lengths.subarray(0, 8));
    for (const [i, frame] of frames.entries()) {
      if (i > 0) socket.write(lengths.subarray(4 + 4 * i, 8 + 4 * i));
      if (frame.byteLength > 0) socket.write(frame);
    }
    socket.uncork();
    const done = (): void => {
      this.messages++;
      this.bytes += size;
      this.inFlight = Math.max(0, this.inFlight - 1);
      if (this.inFlight === 0) this.settle();
    };
    // Usually the kernel took it all at once: handed over, as a ZeroMQ send would be. Otherwise an
    // empty write carries the callback, which runs once everything before it left the process.
    if (socket.writableLength === 0) done();
    else socket.write(Buffer.alloc(0), (error) => (error ? this.fail(error) : done()));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    // Nothing more will leave: nobody may wait on it.
    this.inFlight = 0;
    this.waiting = [];
    this.settle();
  }

  private settle(): void {
    if (this.inFlight !== 0 && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private stopListening(): void {
    if (!this.server.listening) return;
    this.server.close();
    rmSync(this.path, { force: true });
  }
}
