import { Worker } from 'node:worker_threads';
import type { DecodedMessage, EnvelopeContext, Message } from '@awn/protocol';
import type { ControlThreadInit, FromControl, ToControl } from './thread-messages.js';

/** What the control session needs from its connection to the coordinator (a fake in unit tests). */
export interface ControlTransport {
  send(message: Message, tensors?: readonly { name: string; data: Uint8Array }[]): void;
  pinRun(runId: string): void;
  setContext(context: EnvelopeContext): void;
  startHeartbeat(intervalMs: number, misses: number): void;
  /** Tolerates the coordinator's silence for `forMs` from now (it is taking in a checkpoint). */
  expectQuiet(forMs: number): void;
  /** Delivers queued messages (unless `discard`) and ends the connection. */
  close(discard: boolean): Promise<void>;
}

export interface ControlEvents {
  onMessage: (decoded: DecodedMessage) => void;
  onDrop: (code: string, message: string) => void;
  onCoordinatorLost: (silentMs: number) => void;
}

/** The main thread's handle on the control thread (control-thread.ts). */
export class ControlLink implements ControlTransport {
  private readonly thread: Worker;
  private readonly closed: Promise<void>;

  constructor(init: ControlThreadInit, events: ControlEvents) {
    this.thread = new Worker(new URL('./control-thread.js', import.meta.url), { workerData: init });
    this.thread.on('message', (m: FromControl) => {
      if (m.kind === 'message') events.onMessage(m.decoded);
      else if (m.kind === 'drop') events.onDrop(m.code, m.message);
      else if (m.kind === 'coordinator-lost') events.onCoordinatorLost(m.silentMs);
    });
    this.closed = new Promise((resolve) => this.thread.once('exit', () => resolve()));
    // A control thread that dies takes the heartbeat with it: the coordinator notices, and the
    // session must too, or it would wait for messages that can no longer arrive.
    this.thread.once('error', () => events.onCoordinatorLost(Number.NaN));
  }

  send(message: Message, tensors: readonly { name: string; data: Uint8Array }[] = []): void {
    // Checkpoints are large: move their bytes instead of copying them (the caller is done with them).
    // Only whole buffers move (a view into a pooled or shared buffer is copied).
    const whole = tensors.filter(
      (t) =>
        t.data.buffer instanceof ArrayBuffer &&
        t.data.byteOffset === 0 &&
        t.data.byteLength === t.data.buffer.byteLength,
    );
    const transfer = [...new Set(whole.map((t) => t.data.buffer as ArrayBuffer))];
    this.post({ kind: 'send', message, tensors }, transfer);
  }

  pinRun(runId: string): void {
    this.post({ kind: 'pin', runId });
  }

  setContext(context: EnvelopeContext): void {
    this.post({ kind: 'context', context: { ...context } });
  }

  startHeartbeat(intervalMs: number, misses: number): void {
    this.post({ kind: 'heartbeat', intervalMs, misses });
  }

  expectQuiet(forMs: number): void {
    this.post({ kind: 'expect-quiet', forMs });
  }

  async close(discard: boolean): Promise<void> {
    this.post({ kind: 'close', discard });
    await this.closed;
  }

  private post(m: ToControl, transfer: ArrayBuffer[] = []): void {
    this.thread.postMessage(m, transfer);
  }
}
