import { Push, curveKeyPair } from 'zeromq';
import type { SenderRole } from './metrics.js';
import { seriesKey } from './recorder.js';
import type { MetricSample } from './samples.js';
import { SNAPSHOT_WIRE_VERSION, encodeSnapshot, type SnapshotBody } from './wire.js';

export interface MetricsPusherOptions {
  /** The exporter's snapshot endpoint, e.g. 'tcp://awn-metrics-exporter:9465'. */
  endpoint: string;
  runId: string;
  rank: number;
  role: SenderRole;
  /** Snapshots waiting to be sent; when full the oldest is dropped (a newer one supersedes it). */
  maxQueue?: number;
  /** Milliseconds close() waits for queued snapshots to leave; they are dropped afterwards. */
  lingerMs?: number;
  /** Set when the exporter runs with CURVE; client keys are generated when not given. */
  curve?: { serverPublicKey: string; publicKey?: string; secretKey?: string };
}

export interface PusherStats {
  /** Snapshots handed to ZeroMQ. */
  sent: number;
  /** Snapshots discarded because newer ones filled the queue. */
  queueFull: number;
  /** Snapshots discarded because no exporter was connected to take them. */
  unavailable: number;
  /** Snapshots waiting now. */
  queued: number;
}

/**
 * Sends metric snapshots to the exporter without ever making training wait: `push` encodes and
 * queues synchronously and returns; a background loop hands the queue to ZeroMQ, which refuses
 * at once (rather than buffering or blocking) while no exporter is connected. Because snapshots
 * are cumulative, a dropped one costs resolution, not counts. The pusher's own drops are added to
 * every snapshot as awn_dropped_messages_total{reason="telemetry_queue_full"|"telemetry_unavailable"}.
 */
export class MetricsPusher {
  readonly #socket: Push;
  readonly #options: MetricsPusherOptions;
  readonly #maxQueue: number;
  readonly #queue: Buffer[] = [];
  readonly #stats = { sent: 0, queueFull: 0, unavailable: 0 };
  #pumping: Promise<void> | undefined;
  #closed = false;
  #timers = new Set<NodeJS.Timeout>();

  constructor(options: MetricsPusherOptions) {
    if (!Number.isSafeInteger(options.rank) || options.rank < 0) {
      throw new RangeError(`metrics pusher: rank must be a non-negative integer, got ${options.rank}`);
    }
    this.#options = options;
    this.#maxQueue = Math.max(1, options.maxQueue ?? 16);
    const curve = options.curve;
    const client = curve && (curve.publicKey && curve.secretKey ? curve : curveKeyPair());
    this.#socket = new Push({
      // Queue nothing for peers that are not connected, and never wait for room: an unreachable
      // exporter then shows up as an immediate send failure, counted below.
      immediate: true,
      sendTimeout: 0,
      sendHighWaterMark: this.#maxQueue,
      linger: options.lingerMs ?? 1000,
      reconnectInterval: 250,
      reconnectMaxInterval: 5000,
      ...(curve && client
        ? {
            curveServerKey: curve.serverPublicKey,
            curvePublicKey: client.publicKey!,
            curveSecretKey: client.secretKey!,
          }
        : {}),
    });
    this.#socket.connect(options.endpoint);
  }

  /** Queues a snapshot; returns false when the pusher is closed. Never throws for transport errors. */
  push(body: SnapshotBody): boolean {
    if (this.#closed) return false;
    const message = encodeSnapshot({
      v: SNAPSHOT_WIRE_VERSION,
      runId: this.#options.runId,
      rank: this.#options.rank,
      role: this.#options.role,
      generation: body.generation,
      step: body.step,
      samples: this.#withOwnDrops(body.samples),
    });
    if (this.#queue.length >= this.#maxQueue) {
      this.#queue.shift();
      this.#stats.queueFull += 1;
    }
    this.#queue.push(message);
    this.#pumping ??= this.#pump();
    return true;
  }

  /**
   * Pushes `provide()` every `intervalMs` until the returned function is called or the pusher is
   * closed, so the exporter hears from a process even while one step takes longer than its
   * staleness limit. The timer does not keep the process alive.
   */
  pushEvery(intervalMs: number, provide: () => SnapshotBody): () => void {
    const timer = setInterval(() => this.push(provide()), intervalMs);
    timer.unref();
    this.#timers.add(timer);
    return () => {
      clearInterval(timer);
      this.#timers.delete(timer);
    };
  }

  get stats(): PusherStats {
    return { ...this.#stats, queued: this.#queue.length };
  }

  /** Sends what is queued (as far as an exporter takes it), then closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    this.#pumping ??= this.#pump();
    await this.#pumping;
    this.#socket.close();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const message = this.#queue.shift()!;
        try {
          await this.#socket.send(message);
          this.#stats.sent += 1;
        } catch {
          this.#stats.unavailable += 1;
        }
      }
    } finally {
      this.#pumping = undefined;
    }
  }

  #withOwnDrops(samples: readonly MetricSample[]): MetricSample[] {
    const own: MetricSample[] = [
      { name: 'awn_dropped_messages_total', labels: { reason: 'telemetry_queue_full' }, value: this.#stats.queueFull },
      {
        name: 'awn_dropped_messages_total',
        labels: { reason: 'telemetry_unavailable' },
        value: this.#stats.unavailable,
      },
    ];
    const present = new Set(samples.map((s) => seriesKey(s.name, s.labels)));
    return [...samples, ...own.filter((s) => !present.has(seriesKey(s.name, s.labels)))];
  }
}
