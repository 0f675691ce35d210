import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curveKeyPair } from 'zeromq';
import { MetricsRecorder } from '@awn/telemetry';
import { MetricsPusher } from '@awn/telemetry';
import { scrape, startTestExporter, seriesValue, waitFor } from './test-util.js';

function body(step: number) {
  const r = new MetricsRecorder();
  r.inc('awn_samples_total', 32 * step);
  r.gauge('awn_total_width', 40);
  return { generation: 0, step, samples: r.snapshot() };
}

test('MetricsPusher delivers snapshots to the exporter', { timeout: 20_000 }, async () => {
  const exporter = await startTestExporter();
  const pusher = new MetricsPusher({ endpoint: exporter.snapshotEndpoint, runId: 'r', rank: 4, role: 'worker' });
  try {
    let step = 0;
    const s = await waitFor('rank 4 to appear', async () => {
      pusher.push(body(++step));
      const series = await scrape(exporter);
      return seriesValue(series, 'awn_up', { rank: '4' }) === 1 && series;
    });
    assert.equal(seriesValue(s, 'awn_total_width', { role: 'worker', rank: '4' }), 40);
    assert.ok(pusher.stats.sent >= 1);
  } finally {
    await pusher.close();
    await exporter.close();
  }
  assert.equal(pusher.push(body(1)), false, 'a closed pusher refuses snapshots');
});

test('without an exporter push never throws, drops are counted and reported once it is back', {
  timeout: 30_000,
}, async () => {
  const probe = await startTestExporter();
  const endpoint = probe.snapshotEndpoint;
  await probe.close();

  const pusher = new MetricsPusher({ endpoint, runId: 'r', rank: 3, role: 'worker', maxQueue: 4 });
  let exporter;
  try {
    for (let step = 1; step <= 200; step++) assert.equal(pusher.push(body(step)), true);
    const drained = await waitFor('the queue to drain', async () => pusher.stats.queued === 0 && pusher.stats);
    assert.ok(drained.queueFull > 0, 'a full queue drops the oldest snapshot');
    assert.ok(drained.unavailable > 0, 'sends with no exporter fail and are counted');
    assert.equal(drained.sent + drained.queueFull + drained.unavailable, 200, 'every snapshot is accounted for');

    exporter = await startTestExporter({ bind: endpoint });
    const live = exporter;
    let step = 200;
    const s = await waitFor(
      'rank 3 to reach the new exporter',
      async () => {
        pusher.push(body(++step));
        const series = await scrape(live);
        return seriesValue(series, 'awn_up', { rank: '3' }) === 1 && series;
      },
      15_000,
    );
    const unavailable = seriesValue(s, 'awn_dropped_messages_total', {
      role: 'worker',
      rank: '3',
      reason: 'telemetry_unavailable',
    });
    assert.ok(unavailable !== undefined && unavailable >= drained.unavailable);
    assert.equal(
      seriesValue(s, 'awn_dropped_messages_total', { role: 'worker', rank: '3', reason: 'telemetry_queue_full' }),
      drained.queueFull,
    );
  } finally {
    await pusher.close();
    await exporter?.close();
  }
});

test('pushEvery keeps a process alive at the exporter until stopped', { timeout: 20_000 }, async () => {
  const exporter = await startTestExporter();
  const pusher = new MetricsPusher({ endpoint: exporter.snapshotEndpoint, runId: 'r', rank: 0, role: 'coordinator' });
  try {
    let calls = 0;
    const stop = pusher.pushEvery(20, () => body(++calls));
    await waitFor('periodic snapshots', async () => {
      const s = await scrape(exporter);
      return (seriesValue(s, 'awn_step', { role: 'coordinator', rank: '0' }) ?? 0) >= 3;
    });
    stop();
    const stoppedAt = calls;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, stoppedAt);
  } finally {
    await pusher.close();
    await exporter.close();
  }
});

test('with CURVE, only senders that know the server key get through', { timeout: 30_000 }, async () => {
  const server = curveKeyPair();
  const exporter = await startTestExporter({ curve: { secretKey: server.secretKey } });
  const trusted = new MetricsPusher({
    endpoint: exporter.snapshotEndpoint,
    runId: 'r',
    rank: 1,
    role: 'worker',
    curve: { serverPublicKey: server.publicKey },
  });
  const plain = new MetricsPusher({ endpoint: exporter.snapshotEndpoint, runId: 'r', rank: 2, role: 'worker' });
  try {
    let step = 0;
    await waitFor('the CURVE sender to appear', async () => {
      trusted.push(body(++step));
      return seriesValue(await scrape(exporter), 'awn_up', { rank: '1' }) === 1;
    });
    await waitFor('plain sends to fail', async () => {
      plain.push(body(1));
      return plain.stats.unavailable >= 5;
    });
    const s = await scrape(exporter);
    assert.equal(seriesValue(s, 'awn_up', { rank: '2' }), undefined);
    assert.equal(plain.stats.sent, 0);
  } finally {
    await trusted.close();
    await plain.close();
    await exporter.close();
  }
});

test('rank must be a non-negative integer', () => {
  assert.throws(
    () => new MetricsPusher({ endpoint: 'tcp://127.0.0.1:1', runId: 'r', rank: -1, role: 'worker' }),
    /rank must be/,
  );
});
