/** A socket that can bind, as `bindSocket` needs it. */
export interface Bindable {
  bind(address: string): Promise<void>;
  close(): void;
  readonly lastEndpoint: string | null;
}

/**
 * Binds `socket` to `address`, where a port of 0 or `*` picks a free one; returns the address it
 * is bound to. On failure the socket is closed, `release` runs (e.g. the ZAP handler taken for
 * it), and the error names what was being bound (`what`, e.g. "coordinator socket") and where.
 */
export async function bindSocket(
  socket: Bindable,
  address: string,
  what: string,
  release?: () => void,
): Promise<string> {
  try {
    await socket.bind(address.replace(/:0$/, ':*'));
  } catch (error) {
    socket.close();
    release?.();
    throw new Error(`cannot bind ${what} ${address}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return socket.lastEndpoint ?? address;
}
