import type { CurveKeys } from '@awn/collective';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { freePort } from '@awn/collective';
import { DropLog, type Secret } from '@awn/protocol';
import type { RunConfig } from '@awn/core';
import type { Logger } from '@awn/telemetry';
import { ControlLink } from './control/control-link.js';
import { ControlSession } from './control/control-session.js';
import { ElasticWorker } from './elastic-loop.js';

/** How a worker reaches its coordinator and its ring peers. */
export interface WorkerOptions {
  /** Coordinator control address, e.g. tcp://10.0.0.5:5555. */
  coordinator: string;
  logger: Logger;
  /** Interface the collective endpoint binds (default 127.0.0.1). */
  bindHost?: string;
  /** Host peers dial to reach this worker (default: bindHost). */
  advertiseHost?: string;
  /** Port of the collective endpoint (default: a free one). */
  dataPort?: number;
  /** Only join this run (default: any run the coordinator serves). */
  runId?: string;
  /** The config this worker was started with; the coordinator refuses a different one. */
  config?: RunConfig;
  secret?: Secret;
  /** Cluster CURVE keypair (z85): control and ring sockets then use CURVE. */
  curve?: CurveKeys;
  /** Stable id of this worker (default: host-pid-random). */
  workerId?: string;
  /** How long to wait for the coordinator's welcome (ms, default 120 000). */
  joinTimeoutMs?: number;
  /** Metrics exporter snapshot endpoint; overrides the one the coordinator announces. */
  metricsEndpoint?: string;
  /** Test-only: synchronous work added to every step (ms); default $AWN_TEST_STEP_DELAY_MS or 0. */
  stepDelayMs?: number;
}

/** How a worker's run ended: exit code and reason. */
export interface WorkerOutcome {
  exitCode: number;
  reason: string;
}

/**
 * One data-parallel replica: join, receive rank and config, then train generation after
 * generation (see elastic-loop.ts). The control channel to the coordinator and the heartbeat run
 * on a thread of their own (control/control-thread.ts), so a step of any length never silences
 * them. Each generation is a ring (rank, world size, peers): the replica takes the broadcast
 * root's exact state, trains inside core's `fit` with a ring all-reduce, reports every step and
 * (rank 0) sends checkpoints to the coordinator. When the coordinator re-forms the ring after a
 * loss, the replica aborts its pending collective at once and continues in the next ring from the
 * root's state; when the ring only grows, it stops at a step all ranks agree on.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerOutcome> {
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const bindHost = options.bindHost ?? '127.0.0.1';
  const port = options.dataPort ?? (await freePort(bindHost));
  const dataAddress = `tcp://${options.advertiseHost ?? bindHost}:${port}`;
  const stepDelayMs = options.stepDelayMs ?? Number(process.env.AWN_TEST_STEP_DELAY_MS ?? 0);
  if (!(stepDelayMs >= 0))
    throw new RangeError(
      `AWN_TEST_STEP_DELAY_MS must be a number of milliseconds >= 0, got '${process.env.AWN_TEST_STEP_DELAY_MS}'`,
    );
  const log = options.logger;
  let session: ControlSession | undefined;
  // A flood of junk from the coordinator's address costs a few lines, not one per message.
  const drops = new DropLog((fields, line) => log.warn(fields, line));
  const link = new ControlLink(
    { address: options.coordinator, workerId, secret: options.secret, curve: options.curve },
    {
      onMessage: (decoded) => session!.receive(decoded),
      onDrop: (code, message) => drops.record(code, `dropped a message from the coordinator: ${message}`),
      onCoordinatorLost: () => session!.coordinatorSilent(),
    },
  );
  session = new ControlSession(link, workerId, options.runId);
  try {
    return await new ElasticWorker({ ...options, workerId, bindHost, port, dataAddress, stepDelayMs }, session).run();
  } finally {
    drops.flush(performance.now(), true);
  }
}
