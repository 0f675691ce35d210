import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Communicator, RingEndpoint, freePort, CollectiveError } from '@awn/collective';
import {
  configHash as hashConfig,
  tensorToArray,
  widthHash,
  withEnvelope,
  type AssignmentMessage,
  type DecodedMessage,
  type Message,
  type MessageBody,
  type MessageType,
  type Secret,
  type WelcomeMessage,
} from '@awn/protocol';
import {
  createExperiment,
  decodeCheckpoint,
  decodeTrainingState,
  encodeCheckpoint,
  encodeTrainingState,
  fit,
  parseRunConfig,
  selectBackend,
  type Experiment,
  type RunConfig,
  type StepMetrics,
  type TrainingState,
} from '@awn/core';
import type { Logger } from '@awn/telemetry';
import { DealerChannel } from './control/dealer-channel.js';
import { ringReducer } from './reducer.js';
import { WorkerTelemetry } from './telemetry.js';

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
  curve?: { readonly publicKey: string; readonly secretKey: string };
  /** Stable id of this worker (default: host-pid-random). */
  workerId?: string;
  /** How long to wait for the coordinator's welcome (ms, default 120 000). */
  joinTimeoutMs?: number;
  /** Metrics exporter snapshot endpoint; overrides the one the coordinator announces. */
  metricsEndpoint?: string;
}

/** How a worker's run ended: exit code and reason. */
export interface WorkerOutcome {
  exitCode: number;
  reason: string;
}

/** Version reported in awn_build_info. */
const AWN_VERSION = '0.1.0';

class CoordinatorGone extends Error {}
class RefusedError extends Error {}
class JoinTimeout extends Error {}

type Ring = Pick<WelcomeMessage, 'rank' | 'worldSize' | 'peers' | 'broadcastRoot' | 'generation' | 'runId'>;

/**
 * One data-parallel replica: join, receive rank and config, then train generation after
 * generation. Each generation is a ring (rank, world size, peers): the replica takes the
 * broadcast root's exact state, trains inside core's `fit` with a ring all-reduce, reports every
 * step and (rank 0) sends checkpoints to the coordinator. When the coordinator re-forms the ring
 * (a worker was lost or joined), the replica leaves the current one at a step all ranks agree on,
 * or when its collective fails, and continues in the next from the root's state: a lost worker
 * costs at most the interrupted step.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerOutcome> {
  const log = options.logger;
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const bindHost = options.bindHost ?? '127.0.0.1';
  const port = options.dataPort ?? (await freePort(bindHost));
  const dataAddress = `tcp://${options.advertiseHost ?? bindHost}:${port}`;

  let shutdown: { reason: string; exitCode: number } | undefined;
  let stopRequested = false;
  let pending: AssignmentMessage | undefined;
  let resumeBytes: Uint8Array | undefined;
  let lastHeard = performance.now();
  let heartbeatMs = 1000;
  let coordinatorLost = false;
  let comm: Communicator | undefined;
  let endpoint: RingEndpoint | undefined;
  let telemetry: WorkerTelemetry | undefined;
  const waiters: ((m: DecodedMessage) => void)[] = [];
  const context = { runId: options.runId ?? '', generation: 0, step: 0, sender: -1 };

  const channel = new DealerChannel(options.coordinator, {
    secret: options.secret,
    curve: options.curve,
    onMessage: (decoded) => {
      lastHeard = performance.now();
      const m = decoded.message;
      if (m.type === 'shutdown') {
        shutdown = { reason: m.reason, exitCode: m.exitCode };
        // A coordinator-ordered abort must not wait out a collective deadline.
        if (m.exitCode !== 0) void comm?.close();
      }
      if (m.type === 'checkpoint-request') stopRequested = true;
      if (m.type === 'evict' && m.workerId === workerId) {
        // Declared lost (e.g. it was stalled): its ring is gone and its rank belongs to others now.
        shutdown = { reason: `evicted by the coordinator: ${m.reason}`, exitCode: 1 };
        void comm?.close();
      }
      if (m.type === 'assignment' && m.generation > context.generation) pending = m;
      if (m.type === 'state' && decoded.tensors[0]) resumeBytes = new Uint8Array(tensorToArray(decoded.tensors[0]) as Uint8Array);
      for (const w of waiters.splice(0)) w(decoded);
    },
    onDrop: (e) => log.warn({ code: e.code }, `dropped a message from the coordinator: ${e.message}`),
  });
  const send = <T extends MessageType>(type: T, body: Omit<MessageBody<T>, 'type'>, tensors: { name: string; data: Uint8Array }[] = []) =>
    channel.send(withEnvelope(context, type, body) as Message, tensors);
  coordinatorSilentFor = () => coordinatorLost;

  let heartbeat: NodeJS.Timeout | undefined;
  try {
    await send('join', {
      workerId,
      host: hostname(),
      pid: process.pid,
      dataAddress,
      configHash: options.config ? hashConfig(options.config) : 'none',
      backend: options.config?.backend ?? 'auto',
    });
    log.info({ coordinator: options.coordinator, workerId, dataAddress }, 'joining');
    const joinTimeoutMs = options.joinTimeoutMs ?? 120_000;
    const answer = await waitFor(waiters, (m) => m.type === 'welcome' || m.type === 'error' || m.type === 'shutdown', joinTimeoutMs, 'no answer').catch(() => {
      // Unsigned or wrongly signed joins are dropped without a reply, so a secret mismatch looks like silence.
      throw new JoinTimeout(`no answer from the coordinator at ${options.coordinator} within ${joinTimeoutMs / 1000} s: is it running, and do the AWN_CLUSTER_SECRET values or CURVE keys match?`);
    });
    if (answer.type === 'error') throw new RefusedError(answer.message);
    if (answer.type === 'shutdown') throw new RefusedError(answer.reason);
    const welcome = answer as WelcomeMessage;
    channel.pinRun(welcome.runId);
    Object.assign(context, { runId: welcome.runId, generation: welcome.generation, sender: welcome.rank });
    heartbeatMs = welcome.heartbeatIntervalMs;
    heartbeat = setInterval(() => {
      void send('heartbeat', { sentAt: Date.now(), workerId });
      if (performance.now() - lastHeard > heartbeatMs * 3 && !coordinatorLost) {
        coordinatorLost = true;
        void comm?.close();
        // Wake every wait so it fails now instead of at its own deadline.
        for (const w of waiters.splice(0)) w({ message: { type: 'heartbeat' } as Message, tensors: [] });
      }
    }, heartbeatMs);

    const { cluster, ...runConfig } = welcome.config as Record<string, unknown> & { cluster?: { collectiveDeadlineMs?: number; metricsEndpoint?: string | null; resume?: boolean; batchPolicy?: 'global' | 'per-worker'; workers?: number } };
    const config = parseRunConfig(runConfig, 'the coordinator');
    const deadlineMs = cluster?.collectiveDeadlineMs ?? 30_000;
    const backend = await selectBackend(config.backend, welcome.rank === 0 ? log : undefined);
    const exp = await createExperiment(config, { rank: welcome.rank, worldSize: welcome.worldSize });
    endpoint = await RingEndpoint.bind(`tcp://${bindHost}:${port}`, { runId: welcome.runId, secret: options.secret, curve: options.curve });
    telemetry = new WorkerTelemetry({
      endpoint: options.metricsEndpoint ?? cluster?.metricsEndpoint ?? undefined,
      runId: welcome.runId,
      rank: welcome.rank,
      generation: welcome.generation,
      backend: backend.name,
      version: AWN_VERSION,
    });
    if (cluster?.resume && welcome.rank === welcome.broadcastRoot) {
      // A resumed run: the coordinator sends rank 0 the checkpoint it resumes from.
      await waitUntil(waiters, () => resumeBytes !== undefined, 60_000, 'the coordinator never sent the checkpoint to resume from');
    }

    let ring: Ring = welcome;
    let state: TrainingState | undefined = resumeBytes ? decodeTrainingState(decodeCheckpoint(resumeBytes, 'checkpoint sent by the coordinator'), 'checkpoint sent by the coordinator') : undefined;
    for (;;) {
      const rlog = log.child({ rank: ring.rank, generation: ring.generation });
      context.generation = ring.generation;
      context.sender = ring.rank;
      comm = await Communicator.create({ rank: ring.rank, worldSize: ring.worldSize, generation: ring.generation, runId: ring.runId, peers: ring.peers, endpoint, secret: options.secret, curve: options.curve, deadlineMs });
      rlog.info({ worldSize: ring.worldSize, backend: backend.name, blas: backend.blas.enabled }, `rank ${ring.rank}/${ring.worldSize} ready`);
      let outcome: 'completed' | 'agreed-stop' | 'ring-failed';
      try {
        // Every replica continues from the root's exact state (weights, widths, moments, cursor).
        state = await synchronizeState(comm, exp, state, ring.broadcastRoot, deadlineMs);
        // Keep the global batch, or (per-worker policy) each worker's share of the initial one.
        const batchSize = cluster?.batchPolicy === 'per-worker' ? (config.training.batchSize / (cluster.workers ?? ring.worldSize)) * ring.worldSize : config.training.batchSize;
        outcome = await trainGeneration({ comm, exp, state, ring, deadlineMs, config, batchSize, telemetry, send, context, rlog, wantsStop: () => stopRequested || pending !== undefined || shutdown !== undefined, coordinatorSilent: () => performance.now() - lastHeard > heartbeatMs * 3, coordinator: options.coordinator });
      } catch (error) {
        if (!(error instanceof CollectiveError) || shutdown || coordinatorLost) throw error;
        // The ring broke (a peer died or was evicted): tell the coordinator and wait for the next ring.
        rlog.warn({ code: error.code, ranks: error.ranks }, `ring of generation ${ring.generation} failed: ${error.message}`);
        await send('error', { code: error.code, message: error.message, ranks: [...error.ranks], reporter: ring.rank, fatal: false });
        outcome = 'ring-failed';
      }
      await comm.close();
      comm = undefined;
      if (outcome === 'completed') break;
      // Leave only on the coordinator's word: a new ring, a stop (final state), or a shutdown.
      await waitUntil(waiters, () => pending !== undefined || stopRequested || shutdown !== undefined, Math.max(60_000, heartbeatMs * 30), 'the coordinator neither re-formed the ring nor ended the run');
      if (shutdown) throw new ShutdownSignal();
      if (pending) {
        ring = pending;
        pending = undefined;
        // A ring that failed mid-step still holds every replica's last completed state; a
        // replica that already applied that step is rolled back by the root's broadcast.
        continue;
      }
      break; // stop requested by the user: end with the final state below
    }

    if (context.sender === 0) await sendState(send, state!, config, true);
    log.info({ rank: context.sender, generation: context.generation, step: state!.step }, stopRequested ? 'stopped on request' : 'finished training');
    if (!shutdown) await waitFor(waiters, (m) => m.type === 'shutdown', Math.max(60_000, heartbeatMs * 10), 'the coordinator never confirmed the end of the run');
    return { exitCode: shutdown!.exitCode, reason: shutdown!.reason };
  } catch (error) {
    if (shutdown) return { exitCode: shutdown.exitCode || (error instanceof ShutdownSignal ? 0 : 1), reason: shutdown.reason };
    if (error instanceof RefusedError) return { exitCode: 2, reason: `the coordinator refused this worker: ${error.message}` };
    if (error instanceof JoinTimeout) return { exitCode: 1, reason: error.message };
    if (coordinatorLost || error instanceof CoordinatorGone) {
      coordinatorLost = true;
      return { exitCode: 1, reason: `lost the coordinator at ${options.coordinator}: no message for ${(3 * heartbeatMs) / 1000} s` };
    }
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof CollectiveError) await send('error', { code: error.code, message: reason, ranks: [...error.ranks], reporter: context.sender, fatal: true });
    return { exitCode: 1, reason };
  } finally {
    clearInterval(heartbeat);
    await telemetry?.close();
    await comm?.close();
    endpoint?.close();
    await endpoint?.closedReader();
    // Messages queued for a coordinator that is gone would only delay the exit.
    await channel.close(coordinatorLost);
  }
}

class ShutdownSignal extends Error {}

/** Trains one generation until the run's last step, or a step at which all ranks agreed to stop. */
async function trainGeneration(args: {
  comm: Communicator;
  exp: Experiment;
  state: TrainingState;
  ring: Ring;
  deadlineMs: number;
  config: RunConfig;
  /** Global batch of this generation. */
  batchSize: number;
  telemetry: WorkerTelemetry;
  send: <T extends MessageType>(type: T, body: Omit<MessageBody<T>, 'type'>, tensors?: { name: string; data: Uint8Array }[]) => Promise<void>;
  context: { step: number };
  rlog: Logger;
  wantsStop: () => boolean;
  coordinatorSilent: () => boolean;
  coordinator: string;
}): Promise<'completed' | 'agreed-stop'> {
  const { comm, exp, state, ring, config, telemetry, send, context } = args;
  const train = exp.trainSource(ring.rank, ring.worldSize, args.batchSize);
  train.restore(state.cursor);
  let agreedStop: number | undefined;
  let bytesSent = comm.counters.bytesSent;
  const total = config.training.steps;
  const result = await fit({
    model: state.model,
    optimizer: state.optimizer,
    loss: exp.loss,
    train,
    steps: total,
    startStep: state.step,
    compression: config.compression,
    reduceGradient: ringReducer({ comm, model: state.model, globalBatch: args.batchSize, deadlineMs: args.deadlineMs, wantsStop: args.wantsStop, onAgreedStop: (step) => (agreedStop = step) }),
    shouldStop: () => agreedStop !== undefined,
    onStep: async (m: StepMetrics) => {
      const step = m.step + 1;
      // The state object follows the model: it is what the next generation broadcasts.
      state.step = step;
      state.cursor = train.cursor();
      context.step = step;
      if (args.coordinatorSilent()) throw new CoordinatorGone(`the coordinator at ${args.coordinator} stopped answering`);
      const sent = comm.counters.bytesSent;
      telemetry.recordStep(m, m.localBatch, sent - bytesSent);
      bytesSent = sent;
      await send('step-done', {
        widthHash: widthHash(m.widths),
        samples: m.localBatch,
        loss: m.loss.total,
        timings: { computeMs: (m.seconds.data + m.seconds.compute) * 1e3, allreduceMs: m.seconds.allreduce * 1e3, updateMs: m.seconds.update * 1e3, totalMs: 1e3 * (m.seconds.data + m.seconds.compute + m.seconds.allreduce + m.seconds.update) },
        epoch: m.epoch,
        widths: m.widths,
        rates: m.rates,
        lossTerms: { nll: m.loss.nll, weightPrior: m.loss.weightPrior, ratePrior: m.loss.ratePrior },
        widthChanges: m.widthChanges.length,
      });
      const every = config.training.checkpointEvery;
      if (ring.rank === 0 && every > 0 && step % every === 0 && step < total && agreedStop === undefined) await sendState(send, state, config, false);
    },
  });
  return result.stopped ? 'agreed-stop' : 'completed';
}

/** Rank 0's checkpoint, pulled by the coordinator (it owns the run directory). */
async function sendState(
  send: <T extends MessageType>(type: T, body: Omit<MessageBody<T>, 'type'>, tensors?: { name: string; data: Uint8Array }[]) => Promise<void>,
  state: TrainingState,
  config: RunConfig,
  final: boolean,
): Promise<void> {
  const bytes = encodeCheckpoint(encodeTrainingState({ model: state.model, optimizer: state.optimizer, step: state.step, cursor: state.cursor, extra: { runConfig: config } }));
  await send('state', { widths: state.model.adaptiveLayers.map((l) => l.width), configHash: hashConfig(config), final }, [{ name: 'checkpoint', data: bytes }]);
}

/** Set once the coordinator has been silent too long: every wait then fails at once. */
let coordinatorSilentFor: (() => boolean) | undefined;

function waitFor(waiters: ((m: DecodedMessage) => void)[], match: (m: Message) => boolean, timeoutMs: number, timeoutMessage: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CoordinatorGone(`${timeoutMessage} within ${timeoutMs / 1000} s`)), timeoutMs);
    const listen = (d: DecodedMessage) => {
      if (coordinatorSilentFor?.()) {
        clearTimeout(timer);
        reject(new CoordinatorGone('the coordinator stopped answering'));
      } else if (match(d.message)) {
        clearTimeout(timer);
        resolve(d.message);
      } else waiters.push(listen);
    };
    waiters.push(listen);
  });
}

/** Resolves once `condition` holds, re-checked after every message (it may hold already). */
async function waitUntil(waiters: ((m: DecodedMessage) => void)[], condition: () => boolean, timeoutMs: number, timeoutMessage: string): Promise<void> {
  if (condition()) return;
  await waitFor(waiters, () => condition(), timeoutMs, timeoutMessage);
}

/**
 * The root broadcasts its encoded training state; every rank continues from the decoded copy.
 * Before the first generation the root's state is its freshly built (seeded) model.
 */
async function synchronizeState(comm: Communicator, exp: Experiment, current: TrainingState | undefined, root: number, deadlineMs: number): Promise<TrainingState> {
  const mine =
    comm.rank === root
      ? encodeCheckpoint(encodeTrainingState(current ?? { model: exp.model, optimizer: exp.optimizer, step: 0, cursor: exp.train.cursor() }))
      : null;
  const [bytes] = await comm.broadcast(mine, { root, deadlineMs });
  return decodeTrainingState(decodeCheckpoint(bytes, `state broadcast by rank ${root}`), `state broadcast by rank ${root}`);
}
