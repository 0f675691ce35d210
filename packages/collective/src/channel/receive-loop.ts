/** A ZeroMQ socket's receive, as the loop needs it (any socket type with a receive timeout). */
export interface Receivable {
  receive(): Promise<Buffer[]>;
}

/**
 * The read loop every awn socket runs: receive with the socket's timeout (so a readiness
 * notification lost by the binding delays a message but never strands it), hand each message to
 * `onFrames`, and stop once `closed()` says so or the socket fails for good. `onFrames` may return
 * a promise to pause reading (backpressure: ZeroMQ then stops reading the connection).
 * Shared by the coordinator's ROUTER, the worker's DEALER and the ring's PULL.
 */
export async function receiveLoop(
  socket: Receivable,
  closed: () => boolean,
  onFrames: (frames: Buffer[]) => Promise<void> | void,
): Promise<void> {
  while (!closed()) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch (error) {
      // A receive timeout (nothing arrived) or the socket closing: the loop condition decides.
      if (closed() || (error as { code?: unknown }).code === 'EAGAIN') continue;
      return;
    }
    const pause = onFrames(frames);
    if (pause !== undefined) await pause;
  }
}
