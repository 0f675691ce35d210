import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsLog, metricsLine } from './metrics-log.js';

const line = (step: number) =>
  metricsLine({
    step,
    epoch: 0,
    loss: 1,
    nll: 1,
    weightPrior: 0,
    ratePrior: 0,
    widths: [3, 4],
    rates: [1, 1],
    widthChanges: 0,
    samples: 8,
    samplesPerSecond: 100,
  });

const steps = async (path: string) =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { step: number }).step);

describe('MetricsLog (metrics.jsonl)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-metrics-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('derives the total width and leaves out absent optional fields', () => {
    const l = line(1);
    assert.equal(l.totalWidth, 7);
    assert.ok(!('validation' in l) && !('ranks' in l) && !('seconds' in l));
  });

  it('keeps appends in call order without the caller chaining them', async () => {
    const log = new MetricsLog(join(dir, 'order.jsonl'));
    await Promise.all([1, 2, 3, 4, 5].map((s) => log.append(line(s))));
    await log.close();
    assert.deepEqual(await steps(log.path), [1, 2, 3, 4, 5]);
  });

  it('cuts back to a step and drops a line a killed write left half written', async () => {
    const path = join(dir, 'torn.jsonl');
    const whole = [1, 2, 3].map((s) => JSON.stringify(line(s))).join('\n');
    await writeFile(path, `${whole}\n{"step":4,"epo`);
    const log = new MetricsLog(path);
    await log.truncateAfter(2);
    assert.deepEqual(await steps(path), [1, 2]);
    await log.append(line(3));
    await log.close();
    assert.deepEqual(await steps(path), [1, 2, 3]);
  });

  it('treats a missing file as empty when cutting back', async () => {
    const log = new MetricsLog(join(dir, 'missing.jsonl'));
    await log.truncateAfter(10);
    await assert.rejects(readFile(log.path), { code: 'ENOENT' });
  });
});
