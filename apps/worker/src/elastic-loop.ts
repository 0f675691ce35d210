import { hostname } from 'node:os';
import { CollectiveError, Communicator, RingEndpoint } from '@awn/collective';
import {
  configHash as hashConfig,
  deriveRingPassword,
  StepClock,
  type ClusterSettings,
  type Secret,
  type WelcomeMessage,
} from '@awn/protocol';
import {
  createExperiment,
  decodeCheckpoint,
  decodeTrainingState,
  estimateTrainingMemory,
  parseRunConfig,
  selectBackend,
  type TrainingState,
} from '@awn/core';
import { CoordinatorGone, LIVENESS_MISSES, type ControlSession, type Ring } from './control/control-session.js';
import { sendState, stateIntakeMs, synchronizeState, trainGeneration } from './train-generation.js';
import { WorkerTelemetry } from './telemetry.js';
import type { WorkerOptions, WorkerOutcome } from './worker.js';

/** Version reported in awn_build_info. */
const AWN_VERSION = '0.1.0';

/**
 * Where a worker is in its run. joining → (synchronizing → training)+ → finishing → done, with
 * awaiting-ring between generations when the ring stops or breaks before the run's last step.
 */
export type WorkerPhase = 'joining' | 'synchronizing' | 'training' | 'awaiting-ring' | 'finishing' | 'done';

class RefusedError extends Error {}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

/**
 * How this rank's ring connections are authenticated: HMAC on every message with the shared
 * secret, or (announced by the coordinator for rings on loopback) the run's ZAP PLAIN password,
 * which costs nothing per message but crosses the wire in the clear, so never off loopback.
 */
function ringAccess(
  secret: Secret | undefined,
  mode: ClusterSettings['ringAuth'],
  runId: string,
  bindHost: string,
): { secret?: Secret; plainPassword?: string } {
  if (secret === undefined) return {};
  if (mode !== 'plain') return { secret };
  if (!LOOPBACK.test(bindHost))
    throw new RefusedError(
      `the coordinator asked for ring passwords (loopback only), but this worker binds ${bindHost}`,
    );
  return { plainPassword: deriveRingPassword(secret, runId) };
}
class JoinTimeout extends Error {}
class ShutdownSignal extends Error {}

/**
 * The elastic loop of one replica: join, then one generation after another (take the root's
 * state, train until the last step or until the ring stops or breaks, wait for the next ring),
 * then hand in the final state. Control traffic goes through the session; this loop only reads
 * what the session learned and decides the next phase.
 */
export class ElasticWorker {
  phase: WorkerPhase = 'joining';
  private comm: Communicator | undefined;
  private endpoint: RingEndpoint | undefined;
  private telemetry: WorkerTelemetry | undefined;

  constructor(
    private readonly options: WorkerOptions & {
      workerId: string;
      bindHost: string;
      port: number;
      dataAddress: string;
      stepDelayMs: number;
    },
    private readonly session: ControlSession,
  ) {}

  async run(): Promise<WorkerOutcome> {
    const { session, options } = this;
    const log = options.logger;
    try {
      const welcome = await this.join();
      const { cluster, ...runConfig } = welcome.config as Record<string, unknown> & { cluster?: ClusterSettings };
      const config = parseRunConfig(runConfig, 'the coordinator');
      // Collective deadlines follow the measured step time, so a slow but alive peer never trips them.
      const clock = new StepClock(cluster?.collectiveDeadlineMs ?? cluster?.stallTimeoutMs ?? 60_000);
      // 'auto' must leave wasm for cpu + native kernels when the model would crowd the 4 GiB wasm heap.
      const backend = await selectBackend(config.backend, welcome.rank === 0 ? log : undefined, {
        engineBytes: estimateTrainingMemory(config).engineBytes,
      });
      const exp = await createExperiment(config, { rank: welcome.rank, worldSize: welcome.worldSize });
      const ringAuth = ringAccess(options.secret, cluster?.ringAuth, welcome.runId, options.bindHost);
      this.endpoint = await RingEndpoint.bind(`tcp://${options.bindHost}:${options.port}`, {
        runId: welcome.runId,
        ...ringAuth,
        curve: options.curve,
      });
      this.telemetry = new WorkerTelemetry({
        endpoint: options.metricsEndpoint ?? cluster?.metricsEndpoint ?? undefined,
        runId: welcome.runId,
        rank: welcome.rank,
        generation: welcome.generation,
        backend: backend.name,
        version: AWN_VERSION,
      });
      if (cluster?.resume && welcome.rank === welcome.broadcastRoot) {
        // A resumed run: the coordinator sends rank 0 the checkpoint it resumes from.
        await session.waitUntil(
          () => session.resumeBytes !== undefined,
          60_000,
          'the coordinator never sent the checkpoint to resume from',
        );
      }
      const source = 'checkpoint sent by the coordinator';
      let state: TrainingState | undefined = session.resumeBytes
        ? decodeTrainingState(decodeCheckpoint(session.resumeBytes, source), source)
        : undefined;
      let ring: Ring = welcome;
      for (;;) {
        const rlog = log.child({ rank: ring.rank, generation: ring.generation });
        this.phase = 'synchronizing';
        const comm = await Communicator.create({
          rank: ring.rank,
          worldSize: ring.worldSize,
          generation: ring.generation,
          runId: ring.runId,
          peers: ring.peers,
          endpoint: this.endpoint,
          ...ringAuth,
          curve: options.curve,
          deadlineMs: clock.deadlineMs,
        });
        this.comm = comm;
        session.enterRing(ring, (reason) => {
          rlog.warn({ reason }, `leaving the ring of generation ${ring.generation} now: ${reason}`);
          comm.abort(reason);
        });
        rlog.info(
          { worldSize: ring.worldSize, backend: backend.name, blas: backend.blas.enabled },
          `rank ${ring.rank}/${ring.worldSize} ready`,
        );
        let outcome: 'completed' | 'agreed-stop' | 'ring-failed';
        try {
          // Every replica continues from the root's exact state (weights, widths, moments, cursor).
          state = await synchronizeState(comm, exp, state, ring.broadcastRoot, clock.deadlineMs);
          this.phase = 'training';
          // Keep the global batch, or (per-worker policy) each worker's share of the initial one.
          const batchSize =
            cluster?.batchPolicy === 'per-worker'
              ? (config.training.batchSize / (cluster.workers ?? ring.worldSize)) * ring.worldSize
              : config.training.batchSize;
          outcome = await trainGeneration({
            comm,
            exp,
            state,
            ring,
            config,
            batchSize,
            telemetry: this.telemetry,
            session,
            clock,
            stepDelayMs: options.stepDelayMs,
            log: rlog,
          });
        } catch (error) {
          if (!(error instanceof CollectiveError) || session.shutdown || session.coordinatorLost) throw error;
          if (session.ringAbandoned === undefined) {
            // The ring broke on its own (a peer died or was evicted): tell the coordinator, who may not know yet.
            rlog.warn(
              { code: error.code, ranks: error.ranks },
              `ring of generation ${ring.generation} failed: ${error.message}`,
            );
            session.send('error', {
              code: error.code,
              message: error.message,
              ranks: [...error.ranks],
              reporter: ring.rank,
              fatal: false,
            });
          }
          outcome = 'ring-failed';
        }
        session.leaveRing();
        this.comm = undefined;
        await comm.close();
        if (outcome === 'completed') break;
        // Leave only on the coordinator's word: a new ring, a stop (final state), or a shutdown.
        this.phase = 'awaiting-ring';
        await session.waitUntil(
          () => session.pending !== undefined || session.stopRequested || session.shutdown !== undefined,
          Math.max(60_000, session.heartbeatMs * 30),
          'the coordinator neither re-formed the ring nor ended the run',
        );
        if (session.shutdown) throw new ShutdownSignal();
        if (!session.pending) break; // stop requested by the user: end with the final state below
        // A ring that failed mid-step still holds every replica's last completed state; a
        // replica that already applied that step is rolled back by the root's broadcast.
        ring = session.pending;
      }
      this.phase = 'finishing';
      // The coordinator takes in rank 0's final state before it answers anyone again.
      session.expectCoordinatorQuiet(stateIntakeMs(state!));
      if (session.context.sender === 0) sendState(session, state!, config, true);
      log.info(
        { rank: session.context.sender, generation: session.context.generation, step: state!.step },
        session.stopRequested ? 'stopped on request' : 'finished training',
      );
      if (!session.shutdown)
        await session.waitFor(
          (m) => m.type === 'shutdown',
          Math.max(60_000, session.heartbeatMs * 10),
          'the coordinator never confirmed the end of the run',
        );
      return { exitCode: session.shutdown!.exitCode, reason: session.shutdown!.reason };
    } catch (error) {
      return this.failure(error);
    } finally {
      // A worker that never got its welcome has nobody to deliver to (no coordinator there, or one
      // that drops it: wrong secret or CURVE keys), so its queued join must not hold the exit.
      const unanswered = this.phase === 'joining';
      this.phase = 'done';
      await this.telemetry?.close();
      await this.comm?.close();
      this.endpoint?.close();
      await this.endpoint?.closedReader();
      // Messages queued for a coordinator that is gone would only delay the exit.
      await session.close(session.coordinatorLost || unanswered);
    }
  }

  private async join(): Promise<WelcomeMessage> {
    const { session, options } = this;
    session.send('join', {
      workerId: options.workerId,
      host: hostname(),
      pid: process.pid,
      dataAddress: options.dataAddress,
      configHash: options.config ? hashConfig(options.config) : 'none',
      backend: options.config?.backend ?? 'auto',
    });
    options.logger.info(
      { coordinator: options.coordinator, workerId: options.workerId, dataAddress: options.dataAddress },
      'joining',
    );
    const joinTimeoutMs = options.joinTimeoutMs ?? 120_000;
    const answer = await session
      .waitFor(
        // A welcome addressed to another worker (one replayed from an earlier run) is not ours.
        (m) => (m.type === 'welcome' && m.workerId === options.workerId) || m.type === 'error' || m.type === 'shutdown',
        joinTimeoutMs,
        'no answer',
      )
      .catch((error: unknown) => {
        // Admitted, then the coordinator went silent for three of its heartbeats.
        if (session.coordinatorLost) throw error;
        // Unsigned or wrongly signed joins are dropped without a reply, so a secret mismatch looks like silence.
        throw new JoinTimeout(
          `no answer from the coordinator at ${options.coordinator} within ${joinTimeoutMs / 1000} s: is it running, and do the AWN_CLUSTER_SECRET values or CURVE keys match?`,
        );
      });
    if (answer.type === 'error') throw new RefusedError(answer.message);
    if (answer.type === 'shutdown') throw new RefusedError(answer.reason);
    session.welcomed(answer as WelcomeMessage);
    return answer as WelcomeMessage;
  }

  private failure(error: unknown): WorkerOutcome {
    const { session, options } = this;
    const shutdown = session.shutdown;
    if (shutdown)
      return { exitCode: shutdown.exitCode || (error instanceof ShutdownSignal ? 0 : 1), reason: shutdown.reason };
    if (error instanceof RefusedError)
      return { exitCode: 2, reason: `the coordinator refused this worker: ${error.message}` };
    if (error instanceof JoinTimeout) return { exitCode: 1, reason: error.message };
    if (session.coordinatorLost || error instanceof CoordinatorGone) {
      session.coordinatorLost = true;
      return {
        exitCode: 1,
        reason: `lost the coordinator at ${options.coordinator}: no message for ${(LIVENESS_MISSES * session.heartbeatMs) / 1000} s`,
      };
    }
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof CollectiveError)
      session.send('error', {
        code: error.code,
        message: reason,
        ranks: [...error.ranks],
        reporter: session.context.sender,
        fatal: true,
      });
    return { exitCode: 1, reason };
  }
}
