#!/usr/bin/env node
// Renders docs/width-over-time.svg (the README's picture) from the metrics.jsonl of runs that
// differ only in their data set (docs/reproduction.md says how they were made):
//   node scripts/width-picture.mjs RUN_DIR_A RUN_DIR_B [RUN_DIR_C …] > docs/width-over-time.svg
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg } from '@awn/run';

const rows = process.argv.slice(2).flatMap((dir) => {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .map((m) => ({ step: m.step, value: m.totalWidth, series: config.name }));
});
// Initial total width of the first run: every hidden layer starts at D = ⌊−ln(0.1)/λ₀ + 2⌋.
const first = JSON.parse(readFileSync(join(process.argv[2], 'config.json'), 'utf8')).model;
const startWidth = first.hiddenLayers * Math.floor(-Math.log(0.1) / first.initialRate + 2);
const svg = await renderSvg({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: `Total width learned with the same settings on each data set (all start at ${startWidth} neurons)`,
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
