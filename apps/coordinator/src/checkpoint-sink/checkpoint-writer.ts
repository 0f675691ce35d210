import { Worker } from 'node:worker_threads';

export interface WriteRequest {
  id: number;
  dir: string;
  step: number;
  bytes: Uint8Array;
  /** Newest checkpoints to keep after this one is written. */
  keep: number;
  /** Send the bytes back with the result (a final state, scored after it is written). */
  returnBytes: boolean;
}

export type WriteResult = ({ id: number; path: string; seconds: number } | { id: number; error: string }) & {
  bytes?: Uint8Array;
};

/** A state to write: its bytes move to the writer thread and, for a final state, back. */
export interface StateToWrite {
  step: number;
  bytes: Uint8Array;
  final: boolean;
}

/**
 * The coordinator's checkpoint sink: one thread (writer-thread.ts) that verifies and writes the
 * checkpoints rank 0 sends, one at a time in arrival order, while the main thread keeps
 * heartbeating. The bytes move to the thread without a copy.
 */
export class CheckpointWriter {
  private thread: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<
    number,
    {
      resolve: (r: { path: string; seconds: number }) => void;
      reject: (e: Error) => void;
      restore: (bytes: Uint8Array | undefined) => void;
    }
  >();

  constructor(
    private readonly dir: string,
    private readonly keep: number,
  ) {
    // Started now, while workers join: loading the engine in a fresh thread takes a while, and
    // the first checkpoint should not wait for it.
    this.start();
  }

  /**
   * Writes `state` as the checkpoint of its step; resolves with the path once it is durable. The
   * bytes move to the thread without a copy (a structured clone of a 1.2 GB state held the main
   * thread ~6.5 s). A final state's bytes, which are scored after the write, come back the same
   * way: `state.bytes` holds them again when the promise settles, failed or not; an interval
   * state's are gone.
   */
  write(state: StateToWrite): Promise<{ path: string; seconds: number }> {
    const thread = this.start();
    const id = this.nextId++;
    const { bytes } = state;
    const whole =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const request: WriteRequest = {
      id,
      dir: this.dir,
      step: state.step,
      bytes,
      keep: this.keep,
      returnBytes: whole && state.final,
    };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {
        resolve: (r) => resolve(r),
        reject,
        restore: (back) => {
          if (back) state.bytes = back;
        },
      });
      thread.postMessage(request, whole ? [bytes.buffer as ArrayBuffer] : []);
    });
  }

  /** Waits for the writes in flight, then ends the thread. */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    await Promise.allSettled(
      [...this.waiting.values()].map(
        (w) =>
          new Promise<void>((done) => {
            const { resolve, reject } = w;
            w.resolve = (r) => (resolve(r), done());
            w.reject = (e) => (reject(e), done());
          }),
      ),
    );
    await thread.terminate();
  }

  private start(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(new URL('./writer-thread.js', import.meta.url));
    // Never what keeps the process alive: the caller awaits close() for the writes in flight.
    thread.unref();
    thread.on('message', (r: WriteResult) => {
      const w = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      w?.restore(r.bytes);
      if ('error' in r) w?.reject(new Error(r.error));
      else w?.resolve({ path: r.path, seconds: r.seconds });
    });
    thread.on('error', (error) => {
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    });
    this.thread = thread;
    return thread;
  }
}
