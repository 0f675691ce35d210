#!/usr/bin/env node
// Cost of encoding and decoding (with validation) one control message of every type, in
// microseconds, against another build of @awn/protocol measured in the same run (issue 14: the
// message schemas are the one source of the types and the validators; "keep the hot path fast").
// Not a test: nothing is asserted.
//
//   node bench/protocol-decode.bench.mjs [--quick] [--baseline=DIR]
//
// DIR is another build's dist/ folder (e.g. `git worktree add /tmp/old <rev>` and its
// packages/protocol/dist after `npm run build`). Each round times every message type for both
// builds, alternating, so load that drifts hits both alike; medians over rounds are printed with
// the ratio new / baseline. The all-reduce chunk's binary header (chunk-header.ts) is the ring's
// hot path and is timed too; the other types go through msgpack and the schema validation.
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, median } from './lib/stats.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const baselineArg = args.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const ROUNDS = quick ? 3 : 9;
const ITERATIONS = quick ? 500 : 3000;

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
async function load(dist) {
  const protocol = await import(pathToFileURL(resolve(dist, 'index.js')).href);
  const { SAMPLES } = await import(pathToFileURL(resolve(dist, 'testing/fixtures.js')).href);
  return { protocol, SAMPLES };
}

const builds = [{ name: 'this build', ...(await load(here('../packages/protocol/dist'))) }];
if (baselineArg) builds.push({ name: 'baseline', ...(await load(baselineArg.replace(/\/$/, ''))) });

/** Mean µs of `fn` over ITERATIONS calls, after a warm-up. */
function time(fn) {
  for (let i = 0; i < 200; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < ITERATIONS; i++) fn();
  return ((performance.now() - t0) * 1e3) / ITERATIONS;
}

// Types both builds know (a build may have dropped or renamed some).
const types = Object.keys(builds[0].SAMPLES).filter((t) => builds.every((b) => t in b.SAMPLES));
const samples = new Map(); // `${build}/${type}` → { encode µs[], decode µs[] }
for (let round = 0; round < ROUNDS; round++) {
  for (const type of types) {
    for (const build of builds) {
      const codec = new build.protocol.MessageCodec({});
      const { message, tensors } = build.SAMPLES[type];
      const frames = codec.encode(message, tensors);
      const key = `${build.name}/${type}`;
      const entry = samples.get(key) ?? { encode: [], decode: [] };
      entry.encode.push(time(() => codec.encode(message, tensors)));
      entry.decode.push(time(() => codec.decode(frames)));
      samples.set(key, entry);
    }
  }
}

console.log(`protocol encode / decode, µs per message (median of ${ROUNDS} rounds × ${ITERATIONS} calls)`);
const head = ['type'.padEnd(18), 'encode', 'decode'];
if (builds.length > 1) head.push('base enc', 'base dec', 'decode new/base');
console.log(head.join('  '));
for (const type of types) {
  const row = [type.padEnd(18)];
  const own = samples.get(`this build/${type}`);
  row.push(fmt(median(own.encode), 2).padStart(6), fmt(median(own.decode), 2).padStart(6));
  if (builds.length > 1) {
    const base = samples.get(`baseline/${type}`);
    row.push(fmt(median(base.encode), 2).padStart(8), fmt(median(base.decode), 2).padStart(8));
    row.push(fmt(median(own.decode) / median(base.decode), 2).padStart(15));
  }
  console.log(row.join('  '));
}
