import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Pull, Push } from 'zeromq';
import { createLogger, type Logger } from '@awn/telemetry';
import { SenderStore } from './store.js';
import { DropCounts, createExposition } from './exposition.js';
import { decodeSnapshot, type SnapshotDropReason } from '@awn/telemetry';

export const DEFAULT_SNAPSHOT_ENDPOINT = 'tcp://127.0.0.1:9465';
export const DEFAULT_HTTP_HOST = '0.0.0.0';
export const DEFAULT_HTTP_PORT = 9464;
export const DEFAULT_STALE_AFTER_MS = 30_000;

export interface MetricsExporterOptions {
  /** ZeroMQ endpoint the snapshot Pull socket binds; port 0 or '*' picks a free port. */
  bind?: string;
  /** HTTP listener for /metrics and /healthz; port 0 picks a free port. */
  http?: { host?: string; port?: number };
  /** A sender silent this long is marked down and its series removed. */
  staleAfterMs?: number;
  /** Distinct (role, rank) pairs kept; snapshots from further senders are dropped. */
  maxSenders?: number;
  /**
   * Series one sender may hold (default 2048: a 64-layer model reports ~250); a snapshot that
   * would exceed it is dropped whole, so one sender cannot inflate every scrape.
   */
  maxSeriesPerSender?: number;
  /** Larger ZeroMQ messages are refused by the socket before they are read. */
  maxMessageBytes?: number;
  /** CURVE server key (z85) of the snapshot socket; senders then need its public key. */
  curve?: { secretKey: string };
  logger?: Logger;
}

export interface MetricsExporter {
  /** The HTTP port actually listened on. */
  readonly httpPort: number;
  /** The ZeroMQ endpoint actually bound, with the chosen port, for senders to connect to. */
  readonly snapshotEndpoint: string;
  /** Snapshots this exporter dropped, by reason. */
  dropped(reason: SnapshotDropReason): number;
  close(): Promise<void>;
}

const DROP_LOG_INTERVAL_MS = 10_000;
const DEFAULT_MAX_SERIES_PER_SENDER = 2048;

/**
 * Starts the exporter: binds the snapshot socket, then the HTTP server. Resolves once both
 * listen; rejects (having released whatever it opened) when either cannot.
 */
export async function startMetricsExporter(options: MetricsExporterOptions = {}): Promise<MetricsExporter> {
  const log = options.logger ?? createLogger({ name: 'metrics-exporter' });
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  if (!(staleAfterMs > 0)) throw new RangeError(`staleAfterMs must be positive, got ${staleAfterMs}`);
  const store = new SenderStore({
    staleAfterMs,
    maxSenders: options.maxSenders ?? 1024,
    maxSeriesPerSender: options.maxSeriesPerSender ?? DEFAULT_MAX_SERIES_PER_SENDER,
  });
  const drops = new DropCounts();
  const registry = createExposition(store, drops);

  const pull = new Pull({
    maxMessageSize: options.maxMessageBytes ?? 4 * 1024 * 1024,
    receiveHighWaterMark: 10_000,
    linger: 0,
    ...(options.curve ? { curveServer: true, curveSecretKey: options.curve.secretKey } : {}),
  });
  const endpoint = (options.bind ?? DEFAULT_SNAPSHOT_ENDPOINT).replace(/:0$/, ':*');
  // Both binds happen before the receive loop starts: see stopReceiving() for why no bind or
  // unbind may run while a receive() is pending.
  try {
    await pull.bind(endpoint);
  } catch (error) {
    pull.close();
    throw new Error(`metrics exporter cannot bind snapshot socket ${endpoint}: ${(error as Error).message}`);
  }
  const snapshotEndpoint = pull.lastEndpoint ?? endpoint;
  const wakeEndpoint = `inproc://awn-metrics-exporter-wake-${randomUUID()}`;
  try {
    await pull.bind(wakeEndpoint);
  } catch (error) {
    pull.close();
    throw new Error(`metrics exporter cannot bind ${wakeEndpoint}: ${(error as Error).message}`);
  }

  const lastDropLog = new Map<SnapshotDropReason, number>();
  let stopping = false;
  const receiving = (async () => {
    while (!stopping && !pull.closed) {
      let frames: Buffer[];
      try {
        frames = await pull.receive();
      } catch (error) {
        if (stopping || pull.closed) break;
        log.error({ err: error }, 'snapshot socket receive failed');
        continue;
      }
      // The wake-up from stopReceiving(), or a snapshot that raced it: the exporter is closing.
      if (stopping) break;
      const decoded = decodeSnapshot(frames);
      let reason: SnapshotDropReason | undefined;
      let detail = '';
      if (!decoded.ok) ({ reason, detail } = decoded);
      else {
        const applied = store.apply(decoded.snapshot, Date.now());
        if (applied === 'bad_sample') {
          reason = applied;
          detail = `${decoded.snapshot.role} ${decoded.snapshot.rank}: ${store.lastRefusal}`;
        } else if (applied !== 'applied') {
          reason = applied;
          const limit = applied === 'too_many_senders' ? 'sender limit' : 'series limit per sender';
          detail = `${decoded.snapshot.role} ${decoded.snapshot.rank} would exceed the ${limit}`;
        }
      }
      if (reason) {
        drops.add(reason);
        // A misbehaving sender repeats itself many times a second; one line per reason and
        // interval is enough to find it, and the counter has the exact number.
        const now = Date.now();
        if (now - (lastDropLog.get(reason) ?? -Infinity) >= DROP_LOG_INTERVAL_MS) {
          lastDropLog.set(reason, now);
          log.warn({ reason, detail, dropped: drops.get(reason) }, 'dropped a metrics snapshot');
        }
      }
    }
  })();

  /**
   * Ends the receive loop with no receive() left pending, then releases the socket.
   *
   * Why not simply `await pull.unbind(...); pull.close()` (as this once did): zeromq.js runs
   * zmq_unbind (and zmq_bind) on a libuv worker thread, while a pending receive() keeps the
   * socket's fd in the main thread's uv_poll. Unbinding tears down the listener and its
   * connections' pipes, which posts commands to the socket and wakes that poll; the main thread
   * then calls zmq_getsockopt(ZMQ_EVENTS) and processes the same socket's commands concurrently
   * with zmq_unbind on the worker. ZeroMQ sockets are not thread-safe, so the two threads
   * interleave the pipe termination handshake and libzmq 4.3.5 aborts the whole process with
   * `Assertion failed: _state == term_ack_sent || _state == term_req_sent2 (pipe.cpp:355)` (a
   * stand-alone reproduction also hung once, spinning). It needs only a pending receive and a
   * connected (or just disconnected) sender at unbind time, so it hit about every third test run
   * and would hit any exporter closed while senders are connected (`awn train` stopping its
   * exporter), not only tests. Closing without unbinding never raced: close() runs on this thread.
   *
   * So: make the pending receive() resolve by sending a message to an inproc endpoint of the
   * same socket (bound at start, before the loop), let the loop see `stopping` and exit, and
   * only then unbind, when nothing on this thread touches the socket. Unbinding still comes
   * before close, as before, so the listener is told to let go of the port before close()
   * resolves (libzmq closes the listening fd on its I/O thread right after). If the wake-up
   * cannot be sent, closing (without unbinding) ends the loop instead. The same rule holds for
   * any future bind/unbind on `pull`: never while a receive() is pending.
   */
  async function stopReceiving(): Promise<void> {
    stopping = true;
    const waker = new Push({ linger: 0 });
    let woken = false;
    try {
      waker.connect(wakeEndpoint);
      await waker.send(Buffer.alloc(0));
      woken = true;
    } catch {
      // Cannot happen while the socket is open; closing it below then ends the loop instead.
    }
    if (!woken) pull.close();
    await receiving;
    waker.close();
    if (!pull.closed) await pull.unbind(snapshotEndpoint).catch(() => undefined);
    pull.close();
  }

  const sweeper = setInterval(() => store.sweep(Date.now()), Math.min(1000, staleAfterMs / 2));
  sweeper.unref();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'serving HTTP request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      store.sweep(Date.now());
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
    } else if (path === '/healthz') {
      store.sweep(Date.now());
      const senders = store.senders();
      const body = JSON.stringify({ status: 'ok', senders: senders.length, up: senders.filter((s) => s.up).length });
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : body + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  }

  const host = options.http?.host ?? DEFAULT_HTTP_HOST;
  const port = options.http?.port ?? DEFAULT_HTTP_PORT;
  try {
    await listen(server, host, port);
  } catch (error) {
    clearInterval(sweeper);
    await stopReceiving();
    throw new Error(`metrics exporter cannot listen on http://${host}:${port}: ${(error as Error).message}`);
  }
  const httpPort = (server.address() as AddressInfo).port;
  log.info(
    { http: `http://${host}:${httpPort}/metrics`, snapshots: snapshotEndpoint, staleAfterMs },
    'metrics exporter listening',
  );

  let closing: Promise<void> | undefined;
  return {
    httpPort,
    snapshotEndpoint,
    dropped: (reason) => drops.get(reason),
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        // Unbinding before closing releases the port before close() resolves, so whoever binds it
        // next (a restarted exporter) gets the connections, not a socket that is going away; but
        // never with a receive() pending (see stopReceiving).
        await stopReceiving();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
