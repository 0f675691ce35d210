import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MetricsRecorder, STEP_PHASES, LOSS_TERMS } from '@awn/telemetry';
import { encodeSnapshot, SNAPSHOT_WIRE_VERSION } from '@awn/telemetry';
import { rawPusher, scrape, scrapeText, startTestExporter, toolAvailable, seriesValue, waitFor } from './test-util.js';

test('promtool accepts the /metrics exposition', { timeout: 30_000 }, async (t) => {
  if (!toolAvailable('promtool', ['--version'])) {
    t.skip('promtool not installed');
    return;
  }
  const exporter = await startTestExporter();
  const push = await rawPusher(exporter.snapshotEndpoint);
  try {
    const r = new MetricsRecorder();
    r.gauge('awn_layer_width', 48, { layer: '0' });
    r.gauge('awn_layer_rate', 0.05, { layer: '0' });
    r.gauge('awn_total_width', 48);
    for (const term of LOSS_TERMS) r.gauge('awn_loss', term === 'nll' ? Number.NaN : 0.1, { term });
    for (const phase of STEP_PHASES) r.observe('awn_step_seconds', 0.01, { phase });
    r.inc('awn_samples_total', 10);
    r.inc('awn_allreduce_bytes_total', 1e6);
    r.inc('awn_width_changes_total', 1, { layer: '0' });
    r.inc('awn_dropped_messages_total', 1, { reason: 'unauthenticated' });
    r.gauge('awn_workers', 1, { state: 'alive' });
    r.observe('awn_checkpoint_seconds', 0.2);
    r.buildInfo({ version: '0.1.0', backend: 'wasm' });
    const snapshot = {
      v: SNAPSHOT_WIRE_VERSION,
      runId: 'p',
      rank: 0,
      role: 'worker',
      generation: 1,
      step: 3,
      samples: r.snapshot(),
    } as const;
    await push.send(encodeSnapshot(snapshot));
    await waitFor('the snapshot', async () => seriesValue(await scrape(exporter), 'awn_step', { rank: '0' }) === 3);
    const text = await scrapeText(exporter);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
    assert.equal(check.status, 0, `promtool check metrics failed:\n${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '', 'promtool reports no lint problems');
  } finally {
    push.close();
    await exporter.close();
  }
});
