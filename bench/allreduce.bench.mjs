#!/usr/bin/env node
// All-reduce bus bandwidth against raw ZeroMQ point-to-point throughput, measured in the same run
// on the same machine. Every rank is its own process (the script re-runs itself as a child).
// Prints ratios; the goal is busbw / p2p >= 0.7 at 64 MiB. Not a test: nothing is asserted.
//
//   node bench/allreduce.bench.mjs [--quick]
// Environment: WS=<ranks> and SZ=<MiB> restrict the table; AWN_BENCH_CHUNK_MIB sets chunkBytes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Pull, Push } from 'zeromq';
import { Communicator, RingEndpoint } from '@awn/collective';

const MiB = 1024 * 1024;
const self = fileURLToPath(import.meta.url);
const quick = process.argv.includes('--quick');

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]));
else await main();

async function main() {
  const p2p = await rawPointToPoint(quick ? 128 * MiB : 512 * MiB, 4 * MiB);
  console.log(`raw ZeroMQ point-to-point (2 processes, 4 MiB frames): ${fmt(p2p)} MB/s`);
  console.log('size      ranks  time/op ms  algbw MB/s  busbw MB/s  busbw/p2p');
  for (const worldSize of (process.env.WS ? [+process.env.WS] : [2, 4])) {
    for (const sizeMiB of (process.env.SZ ? [+process.env.SZ] : [1, 16, 64])) {
      const iterations = sizeMiB === 64 ? (quick ? 2 : 5) : quick ? 5 : 20;
      const seconds = await allReduceTime(worldSize, (sizeMiB * MiB) / 4, iterations);
      const algbw = (sizeMiB * MiB) / seconds / 1e6;
      const busbw = (algbw * 2 * (worldSize - 1)) / worldSize;
      console.log(
        `${String(sizeMiB).padStart(3)} MiB  ${String(worldSize).padStart(5)}  ${(seconds * 1e3).toFixed(1).padStart(10)}  ${fmt(algbw).padStart(10)}  ${fmt(busbw).padStart(10)}  ${(busbw / p2p).toFixed(2).padStart(9)}`,
      );
    }
  }
}

function fmt(mbps) {
  return mbps.toFixed(0);
}

function spawnChild(config) {
  const proc = spawn(process.execPath, [self, '--child', JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages = [];
  const waiters = [];
  proc.on('message', (m) => (waiters.length ? waiters.shift()(m) : messages.push(m)));
  return { proc, next: () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r))) };
}

async function rawPointToPoint(totalBytes, frameBytes) {
  const receiver = spawnChild({ role: 'p2p-recv', totalBytes, frameBytes });
  const { address } = await receiver.next();
  const sender = spawnChild({ role: 'p2p-send', totalBytes, frameBytes, address });
  const { seconds } = await receiver.next();
  await sender.next();
  return totalBytes / seconds / 1e6;
}

async function allReduceTime(worldSize, length, iterations) {
  const ranks = Array.from({ length: worldSize }, () => spawnChild({ role: 'rank' }));
  const peers = (await Promise.all(ranks.map((r) => r.next()))).map((m) => m.address);
  ranks.forEach((r, rank) => r.proc.send({ rank, worldSize, peers, length, iterations }));
  const results = await Promise.all(ranks.map((r) => r.next()));
  // The collective finishes on all ranks together; the slowest rank's median is the op time.
  return Math.max(...results.map((r) => r.median));
}

async function child(config) {
  if (config.role === 'p2p-recv') {
    const pull = new Pull();
    await pull.bind('tcp://127.0.0.1:*');
    process.send({ address: pull.lastEndpoint });
    let received = 0;
    let start = 0;
    while (received < config.totalBytes) {
      const [frame] = await pull.receive();
      if (received === 0) start = performance.now();
      received += frame.byteLength;
    }
    // The first frame's transfer is not timed: discount it.
    const seconds = (performance.now() - start) / 1e3;
    process.send({ seconds: (seconds * config.totalBytes) / (config.totalBytes - config.frameBytes) });
    pull.close();
    process.disconnect();
    return;
  }
  if (config.role === 'p2p-send') {
    const push = new Push({ linger: 5000 });
    push.connect(config.address);
    // A fresh buffer per frame, as the collective never reuses a buffer in flight either.
    for (let sent = 0; sent < config.totalBytes; sent += config.frameBytes) await push.send(Buffer.alloc(config.frameBytes, 1));
    process.send({ done: true });
    push.close();
    process.disconnect();
    return;
  }
  const endpoint = await RingEndpoint.bind('tcp://127.0.0.1:*', { runId: 'bench' });
  const setup = await new Promise((resolve) => {
    process.once('message', resolve);
    process.send({ address: endpoint.address });
  });
  const chunkBytes = process.env.AWN_BENCH_CHUNK_MIB ? Number(process.env.AWN_BENCH_CHUNK_MIB) * MiB : undefined;
  const comm = await Communicator.create({ ...setup, generation: 0, runId: 'bench', endpoint, deadlineMs: 120_000, chunkBytes });
  const buffer = new Float32Array(setup.length).fill(1);
  const times = [];
  for (let i = -1; i < setup.iterations; i++) {
    const start = performance.now();
    await comm.allReduce(buffer, { step: i + 1, bucketId: 0, widthHash: 0 });
    if (i >= 0) times.push((performance.now() - start) / 1e3);
  }
  times.sort((a, b) => a - b);
  process.send({ median: times[Math.floor(times.length / 2)] });
  await comm.close();
  endpoint.close();
  process.disconnect();
}
