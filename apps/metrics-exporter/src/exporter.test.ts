import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import { METRICS, MetricsRecorder, type MetricSample } from '@awn/telemetry';
import { encodeSnapshot, SNAPSHOT_WIRE_VERSION, type SnapshotMessage } from '@awn/telemetry';
import {
  pseudoRandomBytes,
  rawPusher,
  scrape,
  scrapeText,
  startTestExporter,
  seriesValue,
  waitFor,
} from './test-util.js';
import type { MetricsExporter } from './exporter.js';
import type { Push } from 'zeromq';

function message(fields: Partial<SnapshotMessage> & { samples: readonly MetricSample[] }): SnapshotMessage {
  return { v: SNAPSHOT_WIRE_VERSION, runId: 'run-a', rank: 0, role: 'worker', generation: 1, step: 1, ...fields };
}

/** Sends a snapshot and waits until the exporter shows its step, i.e. has applied it. */
async function deliver(exporter: MetricsExporter, push: Push, m: SnapshotMessage): Promise<void> {
  await push.send(encodeSnapshot(m));
  const who = { role: m.role, rank: String(m.rank) };
  await waitFor(
    `step ${m.step} of ${m.role} ${m.rank}`,
    async () => seriesValue(await scrape(exporter), 'awn_step', who) === m.step,
  );
}

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

test('malformed messages are dropped and counted, and the exporter keeps serving', { timeout: 30_000 }, async () => {
  const exporter = await startTestExporter({ maxSenders: 2 });
  const push = await rawPusher(exporter.snapshotEndpoint);
  try {
    const randomCount = 300;
    for (let i = 0; i < randomCount; i++) {
      await push.send(pseudoRandomBytes(i + 1, 1 + ((i * 37) % 700)));
    }
    await push.send([Buffer.from('two'), Buffer.from('frames')]);
    await push.send(Buffer.alloc(0));
    await push.send(pack({ ...message({ samples: [] }), v: 2 }));
    await push.send(pack({ ...message({ samples: [] }), role: 'admin' }));
    await push.send(pack({ ...message({ samples: [] }), rank: -1 }));
    await push.send(pack({ ...message({ samples: [] }), samples: 'all' }));
    await push.send(pack(message({ samples: [{ name: 'process_cpu_seconds_total', labels: {}, value: 1 }] })));
    await push.send(
      pack(message({ samples: [{ name: 'awn_layer_width', labels: { layer: '1', rank: '9' }, value: 1 }] })),
    );
    await push.send(pack(message({ samples: [{ name: 'awn_samples_total', labels: {}, value: -5 }] })));
    const dup: MetricSample = { name: 'awn_total_width', labels: {}, value: 1 };
    await push.send(pack(message({ samples: [dup, dup] })));
    await push.send(pack(message({ samples: [{ name: '__proto__', labels: {}, value: 1 }] })));
    const crafted = 2 + 1 + 3 + 5; // undecodable, version, bad header fields, bad samples
    // Two senders fill the limit; a third is refused.
    await deliver(exporter, push, message({ rank: 0, samples: [] }));
    await deliver(exporter, push, message({ rank: 1, samples: [] }));
    await push.send(encodeSnapshot(message({ rank: 2, samples: [] })));

    const expectedDrops = randomCount + crafted + 1;
    const reasons = ['undecodable', 'bad_header', 'version', 'bad_sample', 'too_many_senders'] as const;
    const s = await waitFor('all drops counted', async () => {
      const series = await scrape(exporter);
      const dropped = reasons.map(
        (reason) => seriesValue(series, 'awn_dropped_messages_total', { role: 'exporter', reason }) ?? 0,
      );
      return dropped.reduce((a, b) => a + b, 0) === expectedDrops && series;
    });
    assert.equal(exporter.dropped('version'), 1);
    assert.equal(exporter.dropped('too_many_senders'), 1);
    assert.equal(exporter.dropped('bad_sample'), 5);
    assert.ok(exporter.dropped('undecodable') >= 2, 'multi-frame and empty messages are undecodable');
    for (const reason of reasons) {
      assert.equal(
        seriesValue(s, 'awn_dropped_messages_total', { role: 'exporter', reason }),
        exporter.dropped(reason),
      );
    }
    assert.equal(seriesValue(s, 'awn_up', { rank: '0' }), 1);
    assert.equal(seriesValue(s, 'awn_up', { rank: '2' }), undefined);
  } finally {
    push.close();
    await exporter.close();
  }
});

test('layer labels must be layer indices of the sender, and one sender cannot hold more than its series limit', {
  timeout: 30_000,
}, async () => {
  const exporter = await startTestExporter({ maxSeriesPerSender: 9 });
  const push = await rawPusher(exporter.snapshotEndpoint);
  try {
    // A sender with `n` adaptive layers: one width gauge and one change counter per layer.
    const layers = (n: number): MetricSample[] =>
      Array.from({ length: n }, (_, i): MetricSample[] => [
        { name: 'awn_layer_width', labels: { layer: String(i) }, value: 4 },
        { name: 'awn_width_changes_total', labels: { layer: String(i) }, value: 1 },
      ]).flat();
    for (const layer of ['-1', '01', 'x', '1024', '1e3']) {
      await push.send(pack(message({ samples: [{ name: 'awn_layer_width', labels: { layer }, value: 4 }] })));
    }
    await deliver(exporter, push, message({ rank: 0, step: 1, samples: layers(4) }));
    // A layer the sender does not have (it reports 4): refused whole, however small the index.
    await push.send(
      pack(
        message({
          rank: 0,
          step: 2,
          samples: [...layers(4), { name: 'awn_width_changes_total', labels: { layer: '4' }, value: 1 }],
        }),
      ),
    );
    // Counters accumulate over the sender's life: 8 kept + 2 new > 9, refused whole.
    await push.send(
      pack(
        message({
          rank: 0,
          step: 3,
          samples: [
            ...layers(4),
            { name: 'awn_samples_total', labels: {}, value: 1 },
            { name: 'awn_allreduce_bytes_total', labels: {}, value: 1 },
          ],
        }),
      ),
    );
    await waitFor(
      'drops counted',
      async () => exporter.dropped('bad_sample') === 6 && exporter.dropped('too_many_series') === 1,
    );
    const s = await scrape(exporter);
    const kept = s.filter((x) => x.name === 'awn_width_changes_total' && x.labels['rank'] === '0');
    assert.equal(kept.length, 4, 'the refused snapshots added no series');
    assert.equal(seriesValue(s, 'awn_dropped_messages_total', { role: 'exporter', reason: 'too_many_series' }), 1);
    // A second sender has a limit and a layer count of its own.
    await deliver(exporter, push, message({ rank: 1, step: 1, samples: layers(4) }));
    assert.equal(
      (await scrape(exporter)).filter((x) => x.name === 'awn_width_changes_total' && x.labels['rank'] === '1').length,
      4,
    );
  } finally {
    push.close();
    await exporter.close();
  }
});

test('startup fails with a clear message when the HTTP port is taken, releasing the socket', {
  timeout: 20_000,
}, async () => {
  const first = await startTestExporter();
  try {
    await assert.rejects(
      startTestExporter({ http: { host: '127.0.0.1', port: first.httpPort } }),
      /metrics exporter cannot listen on http:\/\/127\.0\.0\.1:\d+/,
    );
    await assert.rejects(startTestExporter({ bind: first.snapshotEndpoint }), /cannot bind snapshot socket/);
  } finally {
    await first.close();
  }
});

test('closing with senders connected and a receive pending never aborts the process', { timeout: 60_000 }, async () => {
  // Regression: close() used to unbind (on a libuv worker thread) while the receive loop's
  // receive() was pending on the main thread, a data race inside libzmq that aborted the whole
  // process (pipe.cpp:355) in about a third of test runs. Many short-lived exporters, each closed
  // with a sender connected (as `awn train` stops its exporter), made it near-certain.
  for (let i = 0; i < 100; i++) {
    const exporter = await startTestExporter();
    const push = await rawPusher(exporter.snapshotEndpoint);
    try {
      await deliver(exporter, push, message({ rank: i % 3, step: i + 1, samples: [] }));
      if (i % 2 === 0) {
        push.close();
        await exporter.close();
      } else {
        await exporter.close();
        push.close();
      }
    } finally {
      push.close();
      await exporter.close();
    }
  }
});
