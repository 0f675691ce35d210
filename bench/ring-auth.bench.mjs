#!/usr/bin/env node
// What authenticating the ring costs the all-reduce: the same 2-rank ring (both ranks in this
// process, ipc twins off so both use tcp loopback) with no authentication, with the per-message
// HMAC-SHA256 (`secret`), with CURVE (per-connection authentication and encryption) and with ZAP
// PLAIN (per-connection authentication by the run's password, what `awn train --workers` uses). Modes
// alternate within every round, so drifting load hits all alike; medians over rounds are printed
// with each mode's ratio to the unauthenticated ring. Not a test: nothing is asserted.
//
//   nice node bench/ring-auth.bench.mjs [--rounds=N]
import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { curveKeyPair } from 'zeromq';
import { Communicator, freePort } from '@awn/collective';

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 5);
const MiB = 1024 * 1024;
const sizes = [
  { label: '1.4 KB', floats: 359, ops: 200 },
  { label: '7.45 MB', floats: 1_863_705, ops: 4 },
  { label: '16 MiB', floats: (16 * MiB) / 4, ops: 2 },
];
const modes = [
  { name: 'none', options: {} },
  { name: 'hmac', options: { secret: randomBytes(32) } },
  { name: 'curve', options: { curve: curveKeyPair() } },
  { name: 'plain', options: { plainPassword: randomBytes(32).toString('base64url') } },
];

async function ring(options) {
  const peers = [`tcp://127.0.0.1:${await freePort()}`, `tcp://127.0.0.1:${await freePort()}`];
  return Promise.all(
    [0, 1].map((rank) =>
      Communicator.create({
        rank,
        worldSize: 2,
        generation: 0,
        runId: 'bench',
        peers,
        preferIpc: false,
        deadlineMs: 120_000,
        ...options,
      }),
    ),
  );
}

const rings = new Map();
for (const m of modes) rings.set(m.name, await ring(m.options));
const data = new Map(
  sizes.map((s) => [s.label, [new Float32Array(s.floats).fill(1), new Float32Array(s.floats).fill(2)]]),
);
const samples = new Map();
let step = 0;
for (let r = 0; r < rounds; r++) {
  for (const s of sizes) {
    for (const m of modes) {
      const comms = rings.get(m.name);
      const [a, b] = data.get(s.label);
      const t0 = performance.now();
      for (let i = 0; i < s.ops; i++) {
        const id = { step: step++, bucketId: 0, widthHash: 1 };
        await Promise.all([comms[0].allReduce(a, id), comms[1].allReduce(b, id)]);
      }
      const ms = (performance.now() - t0) / s.ops;
      const key = `${s.label}|${m.name}`;
      samples.set(key, [...(samples.get(key) ?? []), ms]);
    }
  }
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
// The primitive's own speed on this CPU, for scale.
const block = randomBytes(16 * MiB);
const t0 = performance.now();
for (let i = 0; i < 8; i++) createHmac('sha256', 'k').update(block).digest();
const hmacGBs = (8 * 16 * MiB) / ((performance.now() - t0) / 1e3) / 1e9;
console.log(
  `ring authentication cost, 2 ranks in one process over tcp loopback, ${rounds} rounds; HMAC-SHA256 alone: ${hmacGBs.toFixed(2)} GB/s`,
);
console.log('size      mode   ms/op    ratio to none');
for (const s of sizes) {
  const base = median(samples.get(`${s.label}|none`));
  for (const m of modes) {
    const ms = median(samples.get(`${s.label}|${m.name}`));
    console.log(`${s.label.padEnd(9)} ${m.name.padEnd(6)} ${ms.toFixed(3).padStart(8)}  ${(ms / base).toFixed(2)}`);
  }
}
for (const comms of rings.values()) await Promise.all(comms.map((c) => c.close()));
