import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on `host`. Prefer binding port 0 (or `*` in a ZeroMQ
 * address) and reading the bound address back; this is for callers that must name a port first.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}
