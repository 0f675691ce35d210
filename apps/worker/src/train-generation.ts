import type { Communicator } from '@awn/collective';
import { configHash as hashConfig, stateTransferMs, widthHash, type StepClock } from '@awn/protocol';
import {
  decodeCheckpoint,
  decodeTrainingState,
  encodeCheckpoint,
  encodeTrainingState,
  fit,
  type Experiment,
  type RunConfig,
  type StepMetrics,
  type TrainingState,
  WidthCapWatch,
  widthCapWarning,
} from '@awn/core/internal';
import type { ControlSession, Ring } from './control/control-session.js';
import { CoordinatorGone } from './control/control-session.js';
import { ringReducer } from './reducer.js';
import { WorkerTelemetry } from './telemetry.js';
import type { Logger } from '@awn/telemetry';

/** What one generation trains with. */
export interface GenerationContext {
  comm: Communicator;
  exp: Experiment;
  state: TrainingState;
  ring: Ring;
  config: RunConfig;
  /** Global batch of this generation. */
  batchSize: number;
  telemetry: WorkerTelemetry;
  session: ControlSession;
  /** Step durations: each collective's deadline follows them (see @awn/protocol progress.ts). */
  clock: StepClock;
  /** Test-only: extra synchronous work per step (ms), as a slow model would do. */
  stepDelayMs: number;
  log: Logger;
}

/** Trains one generation until the run's last step, or a step at which all ranks agreed to stop. */
export async function trainGeneration(g: GenerationContext): Promise<'completed' | 'agreed-stop'> {
  const { comm, exp, state, ring, config, telemetry, session, clock } = g;
  const train = exp.trainSource(ring.rank, ring.worldSize, g.batchSize);
  train.restore(state.cursor);
  let agreedStop: number | undefined;
  let bytesSent = comm.counters.bytesSent;
  const total = config.training.steps;
  clock.restart(performance.now());
  const capWatch = new WidthCapWatch();
  const wantsStop = () => session.stopRequested || session.pending !== undefined || session.shutdown !== undefined;
  const result = await fit({
    model: state.model,
    optimizer: state.optimizer,
    loss: exp.loss,
    train,
    steps: total,
    startStep: state.step,
    compression: config.compression,
    reduceGradient: ringReducer({
      comm,
      model: state.model,
      globalBatch: g.batchSize,
      deadlineMs: () => clock.deadlineMs,
      wantsStop,
      onAgreedStop: (step) => (agreedStop = step),
      computeDelayMs: g.stepDelayMs,
    }),
    shouldStop: () => agreedStop !== undefined,
    onStep: async (m: StepMetrics) => {
      // A ring of one does no I/O, so its steps would chain through microtasks alone and the
      // coordinator's messages (a stop request, a shutdown) would wait until training ended.
      if (ring.worldSize === 1) await new Promise((resolve) => setImmediate(resolve));
      const step = m.step + 1;
      clock.tick(performance.now());
      // The state object follows the model: it is what the next generation broadcasts.
      state.step = step;
      state.cursor = train.cursor();
      session.step = step;
      if (session.coordinatorLost) throw new CoordinatorGone('the coordinator stopped answering');
      const sent = comm.counters.bytesSent;
      telemetry.recordStep(m, m.localBatch, sent - bytesSent);
      const cap = capWatch.update(m.atMaxWidth);
      if (cap.reached.length)
        g.log.warn({ step, layers: cap.reached }, widthCapWarning(cap.reached, m.widths, m.rates));
      bytesSent = sent;
      if (step % config.training.logEvery === 0 || step === total) {
        const mem = WorkerTelemetry.memory();
        g.log.info(
          { step, rssBytes: mem.rss, engineBytes: mem.engine },
          `step ${step}: memory ${(mem.rss / 2 ** 20).toFixed(0)} MiB resident, ${(mem.engine / 2 ** 20).toFixed(1)} MiB in tensors`,
        );
      }
      session.send('step-done', {
        widthHash: widthHash(m.widths),
        samples: m.localBatch,
        loss: m.loss.total,
        timings: {
          computeMs: (m.seconds.data + m.seconds.compute) * 1e3,
          allreduceMs: m.seconds.allreduce * 1e3,
          updateMs: m.seconds.update * 1e3,
          totalMs: 1e3 * (m.seconds.data + m.seconds.compute + m.seconds.allreduce + m.seconds.update),
        },
        epoch: m.epoch,
        widths: m.widths,
        rates: m.rates,
        lossTerms: { nll: m.loss.nll, weightPrior: m.loss.weightPrior, ratePrior: m.loss.ratePrior },
        widthChanges: m.widthChanges.length,
      });
      const every = config.training.checkpointEvery;
      if (every > 0 && step % every === 0 && step < total && agreedStop === undefined) {
        // Every rank knows the schedule: the coordinator is busy with rank 0's state for a while.
        session.expectCoordinatorQuiet(stateIntakeMs(state));
        if (ring.rank === 0) sendState(session, state, config, false);
      }
    },
  });
  return result.stopped ? 'agreed-stop' : 'completed';
}

/**
 * How long the coordinator may take to take in this state (receive, copy, hand to its writer):
 * its encoded size (weights and two Adam moments, float32), see stateTransferMs in
 * packages/protocol/src/progress.ts.
 */
export function stateIntakeMs(state: TrainingState): number {
  let floats = 0;
  for (const p of state.model.parameters) floats += p.size;
  return stateTransferMs(floats * 3 * 4);
}

/** Rank 0's checkpoint, pulled by the coordinator (it owns the run directory). */
export function sendState(session: ControlSession, state: TrainingState, config: RunConfig, final: boolean): void {
  const bytes = encodeCheckpoint(
    encodeTrainingState({
      model: state.model,
      optimizer: state.optimizer,
      step: state.step,
      cursor: state.cursor,
      extra: { runConfig: config },
    }),
  );
  // Labelled with the state's own step: a run resumed at its last step trains no step in this
  // process, and the coordinator names the checkpoint after this label (it wrote step 0's, which
  // the pruning then deleted before the summary read it back).
  session.step = state.step;
  session.send(
    'state',
    { widths: state.model.adaptiveLayers.map((l) => l.width), configHash: hashConfig(config), final },
    [{ name: 'checkpoint', data: bytes }],
  );
}

/**
 * The root broadcasts its encoded training state; every rank continues from the decoded copy.
 * Before the first generation the root's state is its freshly built (seeded) model.
 */
export async function synchronizeState(
  comm: Communicator,
  exp: Experiment,
  current: TrainingState | undefined,
  root: number,
  deadlineMs: number,
): Promise<TrainingState> {
  const mine =
    comm.rank === root
      ? encodeCheckpoint(
          encodeTrainingState(
            current ?? { model: exp.model, optimizer: exp.optimizer, step: 0, cursor: exp.train.cursor() },
          ),
        )
      : null;
  const [bytes] = await comm.broadcast(mine, { root, deadlineMs });
  return decodeTrainingState(
    decodeCheckpoint(bytes, `state broadcast by rank ${root}`),
    `state broadcast by rank ${root}`,
  );
}
