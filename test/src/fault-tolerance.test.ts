import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTrainingState, selectBackend, type TrainingState } from '@awn/core';
import { AwnProcess, awn } from './helpers.js';

const STEPS = 150;
const CONFIG = {
  name: 'chaos',
  seed: 3,
  backend: 'cpu',
  data: { dataset: 'doublemoon' },
  model: { hiddenLayers: 2, initialRate: 0.05 },
  training: {
    steps: STEPS,
    batchSize: 48,
    optimizer: { type: 'adam', learningRate: 0.05 },
    logEvery: 1,
    checkpointEvery: 50,
  },
};
/** float32 summation order differs between world sizes (see distributed-equivalence.test). */
const TOLERANCE = 2e-3;
// Recovery does not wait for a collective deadline (survivors abort on the coordinator's news),
// so the deadlines keep their default: a starved but alive rank never trips them.
const FAST = ['--heartbeat-ms', '300'];

async function finalState(out: string): Promise<TrainingState> {
  const files = (await readdir(join(out, 'checkpoints'))).filter((f) => f.startsWith('step-')).sort();
  return loadTrainingState(join(out, 'checkpoints', files[files.length - 1]));
}

function worstDifference(a: TrainingState, b: TrainingState): number {
  const byName = new Map(b.model.parameters.map((p) => [p.name, p]));
  let worst = 0;
  for (const p of a.model.parameters) {
    const q = byName.get(p.name)!;
    assert.deepEqual(q.shape, p.shape, p.name);
    const x = p.read();
    const y = q.read();
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(x[i])));
  }
  return worst;
}

async function stepsLogged(out: string): Promise<number[]> {
  return (await readFile(join(out, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { step: number }).step);
}

/**
 * Longest pause of the run around a regroup: from the last step the old ring completed to the
 * first step of the new generation, read from the coordinator's log timestamps.
 */
function regroupStallMs(coordinatorLog: string): number {
  const steps = coordinatorLog
    .split('\n')
    .filter((l) => l.includes('"generation"') && l.includes('"msg":"step '))
    .map((l) => JSON.parse(l) as { time: number; step: number; generation: number });
  const first = steps.findIndex((s) => s.generation >= 1);
  assert.ok(first > 0, 'steps were logged before and after the regroup');
  return steps[first]!.time - steps[first - 1]!.time;
}

async function waitForStep(p: AwnProcess, step: number): Promise<void> {
  await p.waitFor(new RegExp(`"step":${step},"generation"`), 60_000);
}

describe('fault tolerance (real processes, loopback)', () => {
  let dir = '';
  let reference: TrainingState;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-chaos-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify(CONFIG));
    await selectBackend('cpu');
    const r = await awn(['train', '--config', join(dir, 'config.json'), '--out', join(dir, 'reference')], 120_000);
    assert.equal(r.code, 0, r.stderr);
    reference = await finalState(join(dir, 'reference'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function cluster(
    out: string,
    extra: string[],
  ): Promise<{ coordinator: AwnProcess; address: string; workers: AwnProcess[] }> {
    const coordinator = new AwnProcess([
      'coordinator',
      '--config',
      join(dir, 'config.json'),
      '--port',
      '0',
      '--out',
      out,
      ...FAST,
      ...extra,
    ]);
    const [, address] = await coordinator.waitFor(/coordinator listening on (tcp:\/\/127\.0\.0\.1:\d+)/);
    return { coordinator, address, workers: [] };
  }

  it('SIGKILL of one of 3 workers at a random step in [20, 80]: the run finishes on 2, no step lost or applied twice, same model', async () => {
    const killAt = 20 + Math.floor(Math.random() * 61);
    const out = join(dir, 'kill');
    const c = await cluster(out, ['--workers', '3', '--min-workers', '2']);
    c.workers = [0, 1, 2].map(() => new AwnProcess(['worker', '--coordinator', c.address]));
    try {
      await waitForStep(c.coordinator, killAt);
      c.workers[1].kill('SIGKILL');
      const done = await c.coordinator.done(120_000);
      assert.equal(done.code, 0, `killed at step ${killAt}: ${done.stderr.slice(-3000)}`);
      assert.match(done.stderr, /generation 1: 2 workers from step \d+/);
      // Detection (3 heartbeats) plus a step or two; the 30 s collective deadline is not waited for.
      const stall = regroupStallMs(done.stderr);
      assert.ok(stall < 10_000, `the run stalled ${stall} ms after the kill`);
      const steps = await stepsLogged(out);
      assert.deepEqual(
        steps,
        Array.from({ length: STEPS }, (_, i) => i + 1),
        'every step logged exactly once',
      );
      const state = await finalState(out);
      assert.equal(state.step, STEPS);
      assert.equal(state.optimizer.stepCount, STEPS, 'each update applied exactly once');
      assert.deepEqual(
        state.model.adaptiveLayers.map((l) => l.width),
        reference.model.adaptiveLayers.map((l) => l.width),
      );
      const worst = worstDifference(reference, state);
      assert.ok(worst < TOLERANCE, `killed at step ${killAt}: worst relative difference ${worst}`);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      assert.equal(summary.worldSize, 2);
    } finally {
      for (const p of [c.coordinator, ...c.workers]) p.kill();
    }
  });

  it('with --batch-policy per-worker the survivors keep their batch: the global batch shrinks from 3 × 16 to 2 × 16', async () => {
    const out = join(dir, 'per-worker');
    const c = await cluster(out, ['--workers', '3', '--min-workers', '2', '--batch-policy', 'per-worker']);
    c.workers = [0, 1, 2].map(() => new AwnProcess(['worker', '--coordinator', c.address]));
    try {
      await waitForStep(c.coordinator, 30);
      c.workers[0].kill('SIGKILL');
      const done = await c.coordinator.done(120_000);
      assert.equal(done.code, 0, done.stderr.slice(-3000));
      const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { step: number; samples: number });
      assert.deepEqual(
        lines.map((l) => l.step),
        Array.from({ length: STEPS }, (_, i) => i + 1),
      );
      assert.equal(lines[0].samples, 48);
      assert.equal(lines[lines.length - 1].samples, 32);
      assert.ok(lines.every((l) => l.samples === 48 || l.samples === 32));
      const state = await finalState(out);
      assert.equal(state.optimizer.stepCount, STEPS, 'each update applied exactly once');
    } finally {
      for (const p of [c.coordinator, ...c.workers]) p.kill();
    }
  });

  it('a stalled worker (SIGSTOP) is treated like a dead one; resumed, it learns it was evicted and exits', async () => {
    const out = join(dir, 'stalled');
    const c = await cluster(out, ['--workers', '3', '--min-workers', '2']);
    c.workers = [0, 1, 2].map(() => new AwnProcess(['worker', '--coordinator', c.address]));
    try {
      await waitForStep(c.coordinator, 25);
      c.workers[2].kill('SIGSTOP');
      await c.coordinator.waitFor(/generation 1: 2 workers/, 30_000);
      assert.match(c.coordinator.stderr, new RegExp(`lost rank \\d \\([^)]*-${c.workers[2].child.pid}-`));
      const done = await c.coordinator.done(120_000);
      assert.equal(done.code, 0, done.stderr.slice(-3000));
      const state = await finalState(out);
      assert.equal(state.optimizer.stepCount, STEPS);
      assert.ok(worstDifference(reference, state) < TOLERANCE);
      c.workers[2].kill('SIGCONT');
      const stalled = await c.workers[2].done(30_000);
      assert.equal(stalled.code, 1);
      assert.match(stalled.stderr, /evicted by the coordinator|lost the coordinator/);
    } finally {
      for (const p of [c.coordinator, ...c.workers]) {
        p.kill('SIGCONT');
        p.kill();
      }
    }
  });

  it('a killed worker restarted with the same command rejoins, and the run continues with 3 workers', async () => {
    const out = join(dir, 'rejoin');
    const c = await cluster(out, ['--workers', '3', '--min-workers', '2']);
    // Recovery takes about 3 heartbeats, so without a floor on the step time the 2 survivors could
    // finish the remaining steps before a restarted process has even loaded: 150 ms per step
    // leaves it ≥ 18 s to join.
    const slow = { AWN_TEST_STEP_DELAY_MS: '150' };
    c.workers = [0, 1, 2].map(() => new AwnProcess(['worker', '--coordinator', c.address], slow));
    try {
      await waitForStep(c.coordinator, 25);
      c.workers[2].kill('SIGKILL');
      await c.coordinator.waitFor(/generation 1: 2 workers/, 30_000);
      c.workers.push(new AwnProcess(['worker', '--coordinator', c.address], slow));
      await c.coordinator.waitFor(/generation 2: 3 workers/, 30_000);
      const done = await c.coordinator.done(120_000);
      assert.equal(done.code, 0, done.stderr.slice(-3000));
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      assert.equal(summary.worldSize, 3, 'the run ended with 3 workers');
      assert.deepEqual(
        await stepsLogged(out),
        Array.from({ length: STEPS }, (_, i) => i + 1),
      );
      const state = await finalState(out);
      assert.equal(state.optimizer.stepCount, STEPS);
      assert.ok(worstDifference(reference, state) < TOLERANCE);
      for (const w of [c.workers[0], c.workers[1], c.workers[3]]) assert.equal((await w.done(30_000)).code, 0);
    } finally {
      for (const p of [c.coordinator, ...c.workers]) p.kill();
    }
  });

  it('SIGKILL of the coordinator, then --resume: workers exit with a clear message, the resumed run ends in the same state', async () => {
    const out = join(dir, 'resume');
    const first = await cluster(out, ['--workers', '2']);
    first.workers = [0, 1].map(() => new AwnProcess(['worker', '--coordinator', first.address]));
    try {
      await first.coordinator.waitFor(/"step":50,"path":"[^"]+","seconds":[\d.e-]+,"msg":"checkpoint written"/, 60_000);
      first.coordinator.kill('SIGKILL');
      for (const w of first.workers) {
        const r = await w.done(30_000);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /lost the coordinator at tcp:\/\/127\.0\.0\.1:\d+/);
      }
      const second = await cluster(out, ['--workers', '2', '--resume', out]);
      second.workers = [0, 1].map(() => new AwnProcess(['worker', '--coordinator', second.address]));
      const done = await second.coordinator.done(120_000);
      assert.equal(done.code, 0, done.stderr.slice(-3000));
      assert.match(done.stderr, /resuming from step (50|100)/);
      assert.deepEqual(
        await stepsLogged(out),
        Array.from({ length: STEPS }, (_, i) => i + 1),
        'metrics.jsonl has every step once after the resume',
      );
      const state = await finalState(out);
      assert.equal(state.step, STEPS);
      assert.equal(state.optimizer.stepCount, STEPS);
      // An uninterrupted 2-worker run with the same checkpoint schedule:
      const straight = join(dir, 'straight');
      const s = await cluster(straight, ['--workers', '2']);
      s.workers = [0, 1].map(() => new AwnProcess(['worker', '--coordinator', s.address]));
      assert.equal((await s.coordinator.done(120_000)).code, 0);
      assert.equal(worstDifference(await finalState(straight), state), 0, 'bit-identical to the uninterrupted run');
      for (const w of [...second.workers, ...s.workers]) w.kill();
    } finally {
      for (const p of [first.coordinator, ...first.workers]) p.kill();
    }
  });
});
