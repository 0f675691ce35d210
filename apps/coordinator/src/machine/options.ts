import type { CurveKeys } from '@awn/collective';
import type { Secret } from '@awn/protocol';
import type { RunConfig } from '@awn/core';
import type { Logger } from '@awn/telemetry';

/** How the coordinator runs a cluster. */
export interface CoordinatorOptions {
  config: RunConfig;
  /** ZeroMQ address to bind, e.g. tcp://127.0.0.1:5555 (port 0 picks one). */
  bind: string;
  /** Number of workers the run needs before it starts. */
  workers: number;
  logger: Logger;
  /** Shared secret: every control message is signed (HMAC-SHA256) and checked. */
  secret?: Secret;
  /** With `secret`: how ring messages are authenticated (cluster-settings.ts; default 'hmac'). */
  ringAuth?: 'hmac' | 'plain';
  /** Cluster CURVE keypair (z85): the control socket is then a CURVE server admitting only its holders. */
  curve?: CurveKeys;
  /** Heartbeat interval both ways (ms, default 1000). */
  heartbeatMs?: number;
  /** Missed heartbeats before a worker counts as dead (default 3). */
  livenessMisses?: number;
  /** How long to wait for every worker to join (ms, default 120 000). */
  joinTimeoutMs?: number;
  /**
   * Floor of the progress deadline (ms, default 60 000): the run counts as stalled when no step
   * completes for max(floor, 10 × median step) although every worker answers heartbeats.
   */
  stallTimeoutMs?: number;
  /** Floor of each collective's deadline on the workers (ms, default: stallTimeoutMs); it grows with the step time the same way. */
  collectiveDeadlineMs?: number;
  /** Run id; a random UUID by default. Workers started with --run-id must match it. */
  runId?: string;
  /** Metrics exporter snapshot endpoint announced to workers (null: no metrics). */
  metricsEndpoint?: string | null;
  /**
   * Fewest workers the run continues with after losing some (default: `workers`, i.e. any loss
   * ends the run). Below it the coordinator waits `rejoinTimeoutMs` for workers to (re)join.
   */
  minWorkers?: number;
  /** How long to wait for enough workers after losing some (ms, default 60 000). */
  rejoinTimeoutMs?: number;
  /** Training state to resume from (encoded checkpoint bytes); rank 0 receives it before starting. */
  resume?: { step: number; bytes: Uint8Array };
  /**
   * When the world size changes: keep the global batch (default; re-divided among the workers) or
   * keep each worker's batch (global batch = batchSize / workers × current workers).
   */
  batchPolicy?: 'global' | 'per-worker';
}
