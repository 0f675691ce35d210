import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwnProcess } from './helpers.js';

const HEARTBEAT_MS = 300;
/** The coordinator counts a worker lost after 3 silent heartbeats. */
const LIVENESS_MS = 3 * HEARTBEAT_MS;
/** A step of the slow worker: well over five liveness timeouts. */
const SLOW_STEP_MS = 6 * LIVENESS_MS;
const STEPS = 3;

describe('liveness apart from progress (real processes, loopback)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-liveness-'));
    const config = {
      name: 'slow',
      seed: 5,
      backend: 'cpu',
      data: { dataset: 'doublemoon' },
      model: { hiddenLayers: 1 },
      training: { steps: STEPS, batchSize: 16, logEvery: 1, checkpointEvery: 0 },
    };
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it(`a worker whose step takes ${SLOW_STEP_MS} ms (6 × the ${LIVENESS_MS} ms heartbeat timeout) is never evicted, nor is its waiting peer's collective failed`, async () => {
    const out = join(dir, 'run');
    const coordinator = new AwnProcess([
      'coordinator',
      '--config',
      join(dir, 'config.json'),
      '--port',
      '0',
      '--workers',
      '2',
      '--out',
      out,
      '--heartbeat-ms',
      String(HEARTBEAT_MS),
    ]);
    const workers: AwnProcess[] = [];
    try {
      const [, address] = await coordinator.waitFor(/coordinator listening on (tcp:\/\/127\.0\.0\.1:\d+)/);
      // One slow rank (its main thread blocked like a long tfjs step), one normal rank that waits for it in the all-reduce.
      workers.push(
        new AwnProcess(['worker', '--coordinator', address], { AWN_TEST_STEP_DELAY_MS: String(SLOW_STEP_MS) }),
      );
      workers.push(new AwnProcess(['worker', '--coordinator', address]));
      const done = await coordinator.done(300_000);
      assert.equal(done.code, 0, done.stderr.slice(-3000));
      assert.doesNotMatch(done.stderr, /missed \d+ heartbeats|generation 1:|stalls/);
      const lines = (await readFile(join(out, 'metrics.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { step: number; ranks: { totalMs: number }[] });
      assert.deepEqual(
        lines.map((l) => l.step),
        [1, 2, 3],
      );
      // The delay really held the ranks: each step lasted about SLOW_STEP_MS on every rank. The
      // reported phases start a few milliseconds after the delay does (seen: 5372 of 5400 ms on a
      // loaded CI machine), hence the 5 % slack; a step without the delay takes a fraction of it.
      for (const l of lines)
        for (const r of l.ranks) assert.ok(r.totalMs >= 0.95 * SLOW_STEP_MS, `step ${l.step}: ${r.totalMs} ms`);
      for (const w of workers) assert.equal((await w.done(60_000)).code, 0);
    } finally {
      for (const p of [coordinator, ...workers]) p.kill();
    }
  });
});
