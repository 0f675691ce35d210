/**
 * What a collective needs from the sending side of its ring link, whichever the transport:
 * ZeroMQ (sender.ts) or a Unix stream to a successor on this host (stream-sender.ts).
 * Frames are sent without copying: whoever enqueues them keeps the memory unchanged until the
 * collective's completion round proves the successor has received it.
 */
export interface LinkSender {
  /** Counters of what went out (messages, bytes incl. headers). */
  readonly messages: number;
  readonly bytes: number;
  /** True when every enqueued message has been handed to the transport. */
  readonly idle: boolean;
  /** The first send failure, if any. */
  readonly error: Error | undefined;
  enqueue(frames: Buffer[]): void;
  /** Resolves when every enqueued message has been handed to the transport. */
  drained(): Promise<void>;
  /** Like drained(), but gives up after `withinMs` (messages still queued then stay queued). */
  drain(withinMs: number): Promise<void>;
  /** Stops sending; with `discard` queued messages are dropped at once (a broken ring). */
  close(discard?: boolean): void;
}

/** Resolves when `done` does or after `withinMs`, whichever comes first. */
export async function within(done: Promise<void>, withinMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, withinMs))));
  await Promise.race([done, expired]);
  clearTimeout(timer);
}
