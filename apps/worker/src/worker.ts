import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Communicator, RingEndpoint, freePort, CollectiveError } from '@awn/collective';
import {
  configHash as hashConfig,
  tensorToArray,
  widthHash,
  withEnvelope,
  type DecodedMessage,
  type Message,
  type MessageBody,
  type MessageType,
  type Secret,
  type WelcomeMessage,
} from '@awn/protocol';
import {
  buildExperiment,
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

class CoordinatorGone extends Error {}

/** Version reported in awn_build_info. */
const AWN_VERSION = '0.1.0';

/**
 * One data-parallel replica: join, receive rank and config, build the model and this rank's data
 * shard, take rank 0's initial state by broadcast, then train with a ring all-reduce inside
 * core's `fit`, reporting every step and sending checkpoints (rank 0) to the coordinator.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerOutcome> {
  const log = options.logger;
  const workerId = options.workerId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const bindHost = options.bindHost ?? '127.0.0.1';
  const port = options.dataPort ?? (await freePort(bindHost));
  const dataAddress = `tcp://${options.advertiseHost ?? bindHost}:${port}`;

  let welcome: WelcomeMessage;
  let shutdown: { reason: string; exitCode: number } | undefined;
  let stopRequested = false;
  let lastHeard = performance.now();
  let heartbeatMs = 1000;
  let coordinatorLost = false;
  let comm: Communicator | undefined;
  let endpoint: RingEndpoint | undefined;
  let telemetry: WorkerTelemetry | undefined;
  const waiters: ((m: DecodedMessage) => void)[] = [];

  const channel = new DealerChannel(options.coordinator, {
    secret: options.secret,
    onMessage: (decoded) => {
      lastHeard = performance.now();
      const m = decoded.message;
      if (m.type === 'shutdown') {
        shutdown = { reason: m.reason, exitCode: m.exitCode };
        // A coordinator-ordered abort must not wait out a collective deadline.
        if (m.exitCode !== 0) void comm?.close();
      }
      if (m.type === 'checkpoint-request') stopRequested = true;
      for (const w of waiters.splice(0)) w(decoded);
    },
    onDrop: (e) => log.warn({ code: e.code }, `dropped a message from the coordinator: ${e.message}`),
  });

  const context = { runId: options.runId ?? '', generation: 0, step: 0, sender: -1 };
  const send = <T extends MessageType>(type: T, body: Omit<MessageBody<T>, 'type'>, tensors: { name: string; data: Uint8Array }[] = []) =>
    channel.send(withEnvelope(context, type, body) as Message, tensors);

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
    const answer = await waitFor(waiters, (m) => m.type === 'welcome' || m.type === 'error' || m.type === 'shutdown', options.joinTimeoutMs ?? 120_000, `no answer from the coordinator at ${options.coordinator}`);
    if (answer.type === 'error') throw new RefusedError(answer.message);
    if (answer.type === 'shutdown') throw new RefusedError(answer.reason);
    welcome = answer as WelcomeMessage;
    channel.pinRun(welcome.runId);
    Object.assign(context, { runId: welcome.runId, generation: welcome.generation, sender: welcome.rank });
    heartbeatMs = welcome.heartbeatIntervalMs;
    heartbeat = setInterval(() => {
      void send('heartbeat', { sentAt: Date.now(), workerId });
      if (performance.now() - lastHeard > heartbeatMs * 3 && !coordinatorLost) {
        coordinatorLost = true;
        void comm?.close();
      }
    }, heartbeatMs);

    const { cluster, ...runConfig } = welcome.config as Record<string, unknown> & { cluster?: { collectiveDeadlineMs?: number; metricsEndpoint?: string | null } };
    const config = parseRunConfig(runConfig, 'the coordinator');
    const rank = welcome.rank;
    const worldSize = welcome.worldSize;
    const wlog = log.child({ rank, generation: welcome.generation });
    const backend = await selectBackend(config.backend, rank === 0 ? wlog : undefined);
    const exp = buildExperiment(config, { rank, worldSize });
    endpoint = await RingEndpoint.bind(`tcp://${bindHost}:${port}`, { runId: welcome.runId, secret: options.secret });
    const deadlineMs = cluster?.collectiveDeadlineMs ?? 30_000;
    comm = await Communicator.create({ rank, worldSize, generation: welcome.generation, runId: welcome.runId, peers: welcome.peers, endpoint, secret: options.secret, deadlineMs });
    wlog.info({ worldSize, backend: backend.name, blas: backend.blas.enabled }, `rank ${rank}/${worldSize} ready`);
    telemetry = new WorkerTelemetry({
      endpoint: options.metricsEndpoint ?? cluster?.metricsEndpoint ?? undefined,
      runId: welcome.runId,
      rank,
      generation: welcome.generation,
      backend: backend.name,
      version: AWN_VERSION,
    });
    let bytesSent = 0;

    // Every replica starts from rank 0's exact state (weights, widths, moments, data cursor).
    const state = await synchronizeState(comm, exp, welcome.broadcastRoot, deadlineMs);
    const total = config.training.steps;
    let agreedStop: number | undefined;
    const reduceGradient = ringReducer({
      comm,
      model: state.model,
      globalBatch: config.training.batchSize,
      deadlineMs,
      wantsStop: () => stopRequested || shutdown !== undefined,
      onAgreedStop: (step) => (agreedStop = step),
    });

    const result = await fit({
      model: state.model,
      optimizer: state.optimizer,
      loss: exp.loss,
      train: exp.train,
      steps: total,
      startStep: state.step,
      compression: config.compression,
      reduceGradient,
      shouldStop: () => agreedStop !== undefined,
      onStep: async (m: StepMetrics) => {
        context.step = m.step + 1;
        const sent = comm!.counters.bytesSent;
        telemetry!.recordStep(m, m.localBatch, sent - bytesSent);
        bytesSent = sent;
        if (performance.now() - lastHeard > heartbeatMs * 3) throw new CoordinatorGone(`the coordinator at ${options.coordinator} stopped answering`);
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
        const step = m.step + 1;
        const every = config.training.checkpointEvery;
        if (rank === 0 && every > 0 && step % every === 0 && step < total && agreedStop === undefined) await sendState(step, false);
      },
    });

    async function sendState(step: number, final: boolean): Promise<void> {
      const bytes = encodeCheckpoint(encodeTrainingState({ model: state.model, optimizer: state.optimizer, step, cursor: exp.train.cursor(), extra: { runConfig: config } }));
      context.step = step;
      await send('state', { widths: state.model.adaptiveLayers.map((l) => l.width), configHash: welcome.configHash, final }, [{ name: 'checkpoint', data: bytes }]);
    }

    if (rank === 0) await sendState(result.step, true);
    wlog.info({ step: result.step }, result.stopped ? 'stopped by agreement' : 'finished training');
    // Wait for the coordinator's word so the run directory is complete before we exit.
    if (!shutdown) await waitFor(waiters, (m) => m.type === 'shutdown', Math.max(60_000, heartbeatMs * 10), 'the coordinator never confirmed the end of the run');
    return { exitCode: shutdown!.exitCode, reason: shutdown!.reason };
  } catch (error) {
    if (shutdown) return { exitCode: shutdown.exitCode || 1, reason: shutdown.reason };
    if (error instanceof RefusedError) return { exitCode: 2, reason: `the coordinator refused this worker: ${error.message}` };
    if (coordinatorLost) return { exitCode: 1, reason: `lost the coordinator at ${options.coordinator}: no message for ${(3 * heartbeatMs) / 1000} s` };
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof CollectiveError) {
      await send('error', { code: error.code, message: reason, ranks: [...error.ranks], reporter: context.sender, fatal: true });
    }
    return { exitCode: 1, reason };
  } finally {
    clearInterval(heartbeat);
    await telemetry?.close();
    await comm?.close();
    endpoint?.close();
    await endpoint?.closedReader();
    await channel.close();
  }
}

class RefusedError extends Error {}

function waitFor<T extends Message = Message>(waiters: ((m: DecodedMessage) => void)[], match: (m: Message) => boolean, timeoutMs: number, timeoutMessage: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CoordinatorGone(`${timeoutMessage} within ${timeoutMs / 1000} s`)), timeoutMs);
    const listen = (d: DecodedMessage) => {
      if (match(d.message)) {
        clearTimeout(timer);
        resolve(d.message as T);
      } else waiters.push(listen);
    };
    waiters.push(listen);
  });
}

/** Rank `root` broadcasts its encoded training state; every rank continues from the decoded copy. */
async function synchronizeState(comm: Communicator, exp: Experiment, root: number, deadlineMs: number) {
  const mine = comm.rank === root ? encodeCheckpoint(encodeTrainingState({ model: exp.model, optimizer: exp.optimizer, step: 0, cursor: exp.train.cursor() })) : null;
  const [bytes] = await comm.broadcast(mine, { root, deadlineMs });
  const state = decodeTrainingState(decodeCheckpoint(bytes, `state broadcast by rank ${root}`), `state broadcast by rank ${root}`);
  exp.train.restore(state.cursor);
  return state;
}

export { tensorToArray };
