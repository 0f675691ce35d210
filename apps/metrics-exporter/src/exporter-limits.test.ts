import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from 'msgpackr';
import type { MetricSample } from '@awn/telemetry';
import { encodeSnapshot } from '@awn/telemetry';
import {
  deliver,
  message,
  pseudoRandomBytes,
  rawPusher,
  scrape,
  startTestExporter,
  seriesValue,
  waitFor,
} from './test-util.js';

// What the exporter refuses or survives: malformed messages, foreign layer labels, too many
// series, a taken port, closing with senders connected (exporter.test.ts has the serving).

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
