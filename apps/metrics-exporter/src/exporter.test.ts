import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METRICS, MetricsRecorder, type MetricSample } from '@awn/telemetry';
import { encodeSnapshot } from '@awn/telemetry';
import {
  deliver,
  message,
  rawPusher,
  scrape,
  scrapeText,
  startTestExporter,
  seriesValue,
  waitFor,
} from './test-util.js';

// Serving: labels, monotone counters across restarts, vanishing gauges, silent senders
// (exporter-limits.test.ts has malformed input, label and series limits, start-up and shutdown).

test('serves pushed snapshots with role and rank labels', { timeout: 20_000 }, async () => {
  const exporter = await startTestExporter();
  const push = await rawPusher(exporter.snapshotEndpoint);
  try {
    for (const rank of [0, 1]) {
      const r = new MetricsRecorder();
      r.gauge('awn_layer_width', 25 + rank, { layer: '0' });
      r.gauge('awn_layer_rate', 0.1, { layer: '0' });
      r.gauge('awn_total_width', 25 + rank);
      r.gauge('awn_loss', 0.75, { term: 'nll' });
      r.inc('awn_samples_total', 64 * (rank + 1));
      r.inc('awn_allreduce_bytes_total', 4096);
      r.observe('awn_step_seconds', 0.004, { phase: 'allreduce' });
      r.observe('awn_step_seconds', 0.3, { phase: 'allreduce' });
      r.buildInfo({ version: '0.1.0', backend: 'wasm' });
      await deliver(exporter, push, message({ rank, generation: 2, step: 10, samples: r.snapshot() }));
    }
    const c = new MetricsRecorder();
    c.gauge('awn_workers', 2, { state: 'alive' });
    await deliver(
      exporter,
      push,
      message({ role: 'coordinator', rank: 0, generation: 2, step: 10, samples: c.snapshot() }),
    );

    const s = await scrape(exporter);
    assert.equal(seriesValue(s, 'awn_layer_width', { layer: '0', role: 'worker', rank: '0' }), 25);
    assert.equal(seriesValue(s, 'awn_layer_width', { layer: '0', role: 'worker', rank: '1' }), 26);
    assert.equal(seriesValue(s, 'awn_samples_total', { role: 'worker', rank: '1' }), 128);
    assert.equal(seriesValue(s, 'awn_loss', { term: 'nll', rank: '0' }), 0.75);
    assert.equal(seriesValue(s, 'awn_workers', { state: 'alive', role: 'coordinator', rank: '0' }), 2);
    assert.equal(seriesValue(s, 'awn_generation', { role: 'worker', rank: '1' }), 2);
    assert.equal(seriesValue(s, 'awn_up', { role: 'coordinator', rank: '0' }), 1);
    assert.equal(seriesValue(s, 'awn_build_info', { rank: '0' }), 1);
    assert.equal(s.find((x) => x.name === 'awn_build_info')?.labels['node'], process.version);

    const bucket = (le: string) => seriesValue(s, 'awn_step_seconds_bucket', { phase: 'allreduce', rank: '0', le });
    assert.equal(bucket('0.0025'), 0);
    assert.equal(bucket('0.005'), 1);
    assert.equal(bucket('0.25'), 1);
    assert.equal(bucket('0.5'), 2);
    assert.equal(bucket('+Inf'), 2);
    assert.equal(seriesValue(s, 'awn_step_seconds_count', { phase: 'allreduce', rank: '0' }), 2);
    assert.ok(Math.abs(seriesValue(s, 'awn_step_seconds_sum', { phase: 'allreduce', rank: '0' })! - 0.304) < 1e-9);
    assert.equal(
      s.filter((x) => x.name === 'awn_step_seconds_bucket' && x.labels['rank'] === '0').length,
      METRICS.awn_step_seconds.buckets.length + 1,
    );

    const text = await scrapeText(exporter);
    for (const name of Object.keys(METRICS)) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'));
    const health = JSON.parse(await scrapeText(exporter, '/healthz'));
    assert.deepEqual(health, { status: 'ok', senders: 3, up: 3 });
    const notFound = await fetch(`http://127.0.0.1:${exporter.httpPort}/nope`);
    assert.equal(notFound.status, 404);
  } finally {
    push.close();
    await exporter.close();
  }
});

test('counters and histograms stay monotone when a sender restarts', { timeout: 20_000 }, async () => {
  const exporter = await startTestExporter();
  const push = await rawPusher(exporter.snapshotEndpoint);
  const hist = (count: number, sum: number): MetricSample => ({
    name: 'awn_checkpoint_seconds',
    labels: {},
    buckets: METRICS.awn_checkpoint_seconds.buckets.map(() => count),
    count,
    sum,
  });
  try {
    const counts = [100, 250, 30, 40];
    const histCounts = [2, 5, 1, 1];
    for (let i = 0; i < counts.length; i++) {
      await deliver(
        exporter,
        push,
        message({
          step: i + 1,
          samples: [{ name: 'awn_samples_total', labels: {}, value: counts[i]! }, hist(histCounts[i]!, histCounts[i]!)],
        }),
      );
      const s = await scrape(exporter);
      const expected = [100, 250, 280, 290][i];
      assert.equal(seriesValue(s, 'awn_samples_total', { rank: '0' }), expected, `after snapshot ${i}`);
      assert.equal(seriesValue(s, 'awn_checkpoint_seconds_count', { rank: '0' }), [2, 5, 6, 6][i]);
      assert.equal(seriesValue(s, 'awn_checkpoint_seconds_bucket', { rank: '0', le: '0.01' }), [2, 5, 6, 6][i]);
      assert.equal(seriesValue(s, 'awn_checkpoint_seconds_sum', { rank: '0' }), [2, 5, 6, 6][i]);
    }
  } finally {
    push.close();
    await exporter.close();
  }
});

test('gauges missing from a snapshot vanish; a new run starts its series afresh', { timeout: 20_000 }, async () => {
  const exporter = await startTestExporter();
  const push = await rawPusher(exporter.snapshotEndpoint);
  const width = (layer: string, v: number): MetricSample => ({ name: 'awn_layer_width', labels: { layer }, value: v });
  try {
    await deliver(
      exporter,
      push,
      message({
        step: 1,
        samples: [width('0', 10), width('1', 20), { name: 'awn_samples_total', labels: {}, value: 500 }],
      }),
    );
    await deliver(exporter, push, message({ step: 2, samples: [width('0', 11)] }));
    let s = await scrape(exporter);
    assert.equal(seriesValue(s, 'awn_layer_width', { layer: '0' }), 11);
    assert.equal(seriesValue(s, 'awn_layer_width', { layer: '1' }), undefined);
    assert.equal(seriesValue(s, 'awn_samples_total', { rank: '0' }), 500, 'a counter keeps its last cumulative value');

    await deliver(
      exporter,
      push,
      message({ runId: 'run-b', step: 3, samples: [{ name: 'awn_samples_total', labels: {}, value: 7 }] }),
    );
    s = await scrape(exporter);
    assert.equal(seriesValue(s, 'awn_samples_total', { rank: '0' }), 7);
    assert.equal(seriesValue(s, 'awn_layer_width', { layer: '0' }), undefined);
  } finally {
    push.close();
    await exporter.close();
  }
});

test('a silent sender is marked down and its series removed; it comes back when it speaks', {
  timeout: 20_000,
}, async () => {
  const exporter = await startTestExporter({ staleAfterMs: 300 });
  const push = await rawPusher(exporter.snapshotEndpoint);
  const sample: MetricSample[] = [{ name: 'awn_total_width', labels: {}, value: 99 }];
  try {
    await deliver(exporter, push, message({ rank: 0, step: 1, samples: sample }));
    let step = 1;
    // Rank 1 keeps talking while rank 0 is silent.
    const down = await waitFor('rank 0 to go stale', async () => {
      step += 1;
      await push.send(encodeSnapshot(message({ rank: 1, step, samples: sample })));
      const s = await scrape(exporter);
      return seriesValue(s, 'awn_up', { rank: '0' }) === 0 && s;
    });
    assert.equal(seriesValue(down, 'awn_up', { rank: '1' }), 1);
    assert.equal(seriesValue(down, 'awn_total_width', { rank: '1' }), 99);
    assert.equal(seriesValue(down, 'awn_total_width', { rank: '0' }), undefined);
    assert.equal(seriesValue(down, 'awn_generation', { rank: '0' }), undefined);
    assert.equal(seriesValue(down, 'awn_step', { rank: '0' }), undefined);
    assert.deepEqual(JSON.parse(await scrapeText(exporter, '/healthz')).up, 1);

    await deliver(exporter, push, message({ rank: 0, step: 50, samples: sample }));
    const back = await scrape(exporter);
    assert.equal(seriesValue(back, 'awn_up', { rank: '0' }), 1);
    assert.equal(seriesValue(back, 'awn_total_width', { rank: '0' }), 99);
  } finally {
    push.close();
    await exporter.close();
  }
});
