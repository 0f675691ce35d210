import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from './write-report.js';
import { reportCharts } from './charts.js';
import { UsageError } from '../errors.js';

const summary = {
  name: 'tiny',
  status: 'completed',
  steps: 3,
  widths: [5, 6],
  totalWidth: 11,
  test: { nll: 0.5, accuracy: 0.9, examples: 10 },
  truncation: {
    metric: 'accuracy',
    points: [
      { fraction: 0.5, widths: [2, 3], keptShare: 0.45, score: 0.7 },
      { fraction: 1, widths: [5, 6], keptShare: 1, score: 0.9 },
    ],
  },
};
const metrics = [1, 2, 3].map((step) => ({
  step,
  epoch: 0,
  loss: 1 / step,
  nll: 1 / step,
  weightPrior: 0.1,
  ratePrior: 0.1,
  widths: [5, 6],
  rates: [1, 1],
  totalWidth: 11,
  widthChanges: 0,
  samples: 8,
  samplesPerSecond: 100 * step,
  ...(step === 3 ? { validation: { nll: 0.4, accuracy: 0.91 } } : {}),
}));

describe('report.html', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-report-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('charts every series of the run from metrics.jsonl and summary.json', () => {
    const ids = reportCharts(metrics, summary).map((c) => c.id);
    for (const id of ['likelihood', 'widths', 'total-width', 'loss', 'samples-per-second', 'validation', 'truncation'])
      assert.ok(ids.includes(id), `${id} chart missing from ${ids.join(', ')}`);
  });

  it('writes a self-contained report with SVG charts and the summary, and no temporary file', async () => {
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    await writeFile(join(dir, 'metrics.jsonl'), metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ name: 'tiny <b>' }));
    const path = await writeReport(dir);
    const html = await readFile(path, 'utf8');
    assert.match(html, /<title>awn run tiny<\/title>/);
    assert.ok((html.match(/<svg/g) ?? []).length >= 7, 'one SVG per chart');
    assert.match(html, /tiny &lt;b&gt;/, 'config is escaped');
    assert.ok(!html.includes('<script'), 'no script needed to view');
    assert.deepEqual((await readdir(dir)).sort(), ['config.json', 'metrics.jsonl', 'report.html', 'summary.json']);
  });

  it('names the file and line of a metrics.jsonl that does not parse', async () => {
    const bad = await mkdtemp(join(dir, 'bad-'));
    await writeFile(join(bad, 'summary.json'), JSON.stringify(summary));
    await writeFile(join(bad, 'metrics.jsonl'), `${JSON.stringify(metrics[0])}\nnot json\n`);
    await assert.rejects(
      writeReport(bad),
      (e: Error) => e instanceof UsageError && /metrics\.jsonl line 2/.test(e.message),
    );
  });
});
