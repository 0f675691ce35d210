#!/usr/bin/env node
// Runs the benchmarks in bench/ one after another (never in parallel: they time the same cores),
// printing each one's output as it comes. `npm run bench` builds first, then calls this.
//
//   node scripts/run-bench.mjs                          every bench/*.bench.mjs, in name order
//   node scripts/run-bench.mjs mlp-throughput allreduce  only these (name, file name or path)
//   node scripts/run-bench.mjs --quick                  options starting with -- go to every benchmark
//   npm run bench -- mlp-width-change --quick
//
// Exits non-zero when a named benchmark does not exist or any benchmark fails; the others still run.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const benchDir = join(root, 'bench');
const SUFFIX = '.bench.mjs';

const args = process.argv.slice(2);
const passThrough = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));

const all = readdirSync(benchDir)
  .filter((f) => f.endsWith(SUFFIX))
  .sort();

function resolveName(name) {
  const asPath = resolve(process.cwd(), name);
  if (name.endsWith(SUFFIX) && existsSync(asPath)) return asPath;
  const stem = basename(name).replace(/\.bench\.mjs$|\.mjs$/, '');
  const file = all.find((f) => f === `${stem}${SUFFIX}`);
  return file ? join(benchDir, file) : undefined;
}

let failed = 0;
const files = [];
for (const name of names) {
  const file = resolveName(name);
  if (file) files.push(file);
  else {
    console.error(`no benchmark '${name}' (available: ${all.map((f) => f.slice(0, -SUFFIX.length)).join(', ')})`);
    failed++;
  }
}
if (names.length === 0) files.push(...all.map((f) => join(benchDir, f)));
if (files.length === 0) {
  if (failed) process.exit(1);
  console.error(`no benchmarks to run in ${relative(process.cwd(), benchDir) || benchDir}`);
  process.exit(1);
}

const summary = [];
for (const file of files) {
  const label = relative(root, file);
  console.log(`\n=== ${label}${passThrough.length ? ` ${passThrough.join(' ')}` : ''} ===`);
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [file, ...passThrough], { cwd: root, stdio: 'inherit' });
  const seconds = (performance.now() - t0) / 1e3;
  const status = result.error
    ? `failed to start (${result.error.message})`
    : result.status === 0
      ? 'ok'
      : result.signal
        ? `killed by ${result.signal}`
        : `exit ${result.status}`;
  if (status !== 'ok') failed++;
  summary.push(`${label.padEnd(40)} ${status.padEnd(12)} ${seconds.toFixed(1)} s`);
}
console.log('\n=== summary ===');
for (const line of summary) console.log(line);
process.exit(failed ? 1 : 0);
