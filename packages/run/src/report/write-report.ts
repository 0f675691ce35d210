import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { reportCharts } from './charts.js';
import { UsageError } from '../errors.js';
import { writeTextAtomic } from '../json-file.js';

/** Renders a Vega-Lite spec to an SVG string on the server: the report needs no network or JS to view. */
export async function renderSvg(spec: Parameters<typeof compile>[0]): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

async function readJsonLines(path: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new UsageError(`${path} line ${i + 1} is not valid JSON`);
      }
    });
}

/** A JSON file the report shows when present (config.json, samples.json). */
async function readOptional(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Text a language model generated at the end of the run (samples.json: `{ settings, samples: [{ prompt, text }] }`). */
function samplesSection(value: unknown): string {
  const v = value as { settings?: string; samples?: { prompt: string; text: string }[] } | undefined;
  if (!v?.samples?.length) return '';
  const items = v.samples.map((s) => `<li><b>${escapeHtml(s.prompt)}</b>${escapeHtml(s.text)}</li>`).join('');
  return `<h2>Generated samples${v.settings ? ` (${escapeHtml(v.settings)})` : ''}</h2>\n<ol class="samples">${items}</ol>`;
}

function summaryTable(summary: Record<string, unknown>): string {
  const fmt = (v: unknown): string =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : v.toPrecision(4)
      : Array.isArray(v)
        ? v.map(fmt).join(', ')
        : v && typeof v === 'object'
          ? Object.entries(v)
              .map(([k, x]) => `${k} ${fmt(x)}`)
              .join(' · ')
          : String(v);
  const rows = [
    'status',
    'reason',
    'steps',
    'epochs',
    'worldSize',
    'backend',
    'wallSeconds',
    'samplesPerSecond',
    'widths',
    'totalWidth',
    'parameters',
    'train',
    'validation',
    'test',
  ];
  return `<table>${rows
    .filter((k) => summary[k] !== undefined && summary[k] !== null)
    .map((k) => `<tr><th>${k}</th><td>${escapeHtml(fmt(summary[k]))}</td></tr>`)
    .join('')}</table>`;
}

/**
 * Builds report.html in a run directory from metrics.jsonl and summary.json: a summary table,
 * self-contained SVG charts (likelihood, validation score, widths, total width, ELBO terms,
 * throughput raw and smoothed, truncation curve), the generated samples of a language model
 * (samples.json) and the resolved config. Returns the report's path.
 */
export async function writeReport(runDir: string): Promise<string> {
  const summary = await readJson(join(runDir, 'summary.json'));
  const metrics = await readJsonLines(join(runDir, 'metrics.jsonl'));
  const charts = reportCharts(metrics, summary);
  const config = await readOptional(join(runDir, 'config.json'));
  const samples = await readOptional(join(runDir, 'samples.json'));
  const svgs = await Promise.all(
    charts.map(async (c) => `<figure id="chart-${c.id}" class="chart">${await renderSvg(c.spec)}</figure>`),
  );
  const title = `awn run ${escapeHtml(String(summary.name ?? ''))}`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1900px;color:#222}
pre{background:#f6f6f6;padding:.75rem;overflow:auto;max-height:32rem}
.samples li{font-family:ui-monospace,monospace;white-space:pre-wrap;margin-bottom:.5rem}
table{border-collapse:collapse;margin-bottom:1.5rem}th,td{text-align:left;padding:.25rem .75rem;border-bottom:1px solid #ddd}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(860px,1fr));gap:1rem}figure{margin:0}
</style></head>
<body><h1>${title}</h1>
${summaryTable(summary)}
<section class="charts">${svgs.join('\n')}</section>
${samplesSection(samples)}
${config ? `<h2>Resolved config</h2>\n<pre>${escapeHtml(JSON.stringify(config, null, 2))}</pre>` : ''}
</body></html>
`;
  const path = join(runDir, 'report.html');
  await writeTextAtomic(path, html);
  return path;
}
