/**
 * Run-wide settings the coordinator adds to the config in its welcome (`config.cluster`), read by
 * every worker. One shape for both sides.
 */
export interface ClusterSettings {
  /** Floor of each collective's deadline (ms); it grows to 10 × the median step (see progress.ts). */
  readonly collectiveDeadlineMs?: number;
  /** Floor of the progress (stall) deadline (ms). */
  readonly stallTimeoutMs?: number;
  /** Metrics exporter snapshot endpoint, null for none. */
  readonly metricsEndpoint?: string | null;
  /** Whether rank 0 receives the checkpoint to resume from before its first ring. */
  readonly resume?: boolean;
  readonly batchPolicy?: 'global' | 'per-worker';
  /** Workers the run was started with (the per-worker batch policy divides by it). */
  readonly workers?: number;
  /**
   * How ring messages are authenticated when the cluster has a shared secret: 'hmac' (default)
   * signs every message; 'plain' admits only connections presenting the run's password (ZAP
   * PLAIN, auth.ts deriveRingPassword) and signs nothing, for rings on loopback only, where
   * HMAC would cost 2-3.5x the all-reduce time (bench/ring-auth.bench.mjs).
   */
  readonly ringAuth?: 'hmac' | 'plain';
}
