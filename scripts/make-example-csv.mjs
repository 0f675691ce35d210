#!/usr/bin/env node
// Writes examples/data/penguins-like.csv and .jsonl: a small, seeded, made-up tabular data set
// (three species of bird measured four ways, features on very different scales so that
// `data.standardize` matters) for the examples/csv.json and examples/jsonl.json runs.
// Deterministic: rerunning it reproduces the committed files byte for byte.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'data');

// mulberry32: a tiny seeded PRNG, enough for example data.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(12);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

// Per species: mean and spread of bill length (mm), bill depth (mm), flipper (mm), mass (g).
const species = {
  adelie: [
    [38.8, 2.7],
    [18.3, 1.2],
    [190, 6.5],
    [3700, 450],
  ],
  chinstrap: [
    [48.8, 3.3],
    [18.4, 1.1],
    [196, 7.1],
    [3730, 380],
  ],
  gentoo: [
    [47.5, 3.1],
    [15.0, 1.0],
    [217, 6.5],
    [5080, 500],
  ],
};
const columns = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];
const rows = [];
for (let i = 0; i < 240; i++) {
  const name = Object.keys(species)[i % 3];
  const values = species[name].map(([mean, sd], j) => Number((mean + sd * normal()).toFixed(j === 3 ? 0 : 1)));
  rows.push({ values, name });
}
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'penguins-like.csv'),
  [[...columns, 'species'].join(','), ...rows.map((r) => [...r.values, r.name].join(','))].join('\n') + '\n',
);
writeFileSync(
  join(out, 'penguins-like.jsonl'),
  rows
    .map((r) => JSON.stringify({ ...Object.fromEntries(columns.map((c, j) => [c, r.values[j]])), species: r.name }))
    .join('\n') + '\n',
);
console.log(`wrote ${rows.length} rows to ${join(out, 'penguins-like.csv')} and .jsonl`);
