#!/usr/bin/env node
// Renders docs/width-over-time.svg (the README's picture) from the metrics.jsonl of two runs:
//   node scripts/width-picture.mjs RUN_DIR_A RUN_DIR_B > docs/width-over-time.svg
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg } from '@awn/coordinator';

// The caption is computed from the runs, so it cannot disagree with the lines it describes.
const runs = process.argv.slice(2).map((dir) => {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { name: config.name, rows: metrics.map((m) => ({ step: m.step, value: m.totalWidth, series: config.name })) };
});
const rows = runs.flatMap((r) => r.rows);
const caption = runs.map((r) => `${r.name} ${r.rows[0].value} → ${r.rows.at(-1).value} by step ${r.rows.at(-1).step}`).join('; ');
const svg = await renderSvg({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: { text: 'Total width learned during training', subtitle: `${caption} (first point: step ${Math.min(...runs.map((r) => r.rows[0].step))})` },
  width: 520,
  height: 220,
  data: { values: rows },
  mark: { type: 'line', strokeWidth: 2 },
  encoding: {
    x: { field: 'step', type: 'quantitative', title: 'step' },
    y: { field: 'value', type: 'quantitative', title: 'total width (neurons)' },
    color: { field: 'series', type: 'nominal', title: 'data set' },
  },
});
process.stdout.write(svg);
