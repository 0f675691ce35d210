#!/usr/bin/env node
// All-reduce bus bandwidth against raw ZeroMQ point-to-point throughput, measured in the same run
// on the same machine. Every rank is its own process (the script re-runs itself as a child). Not a
// test: nothing is asserted.
//
//   node bench/allreduce.bench.mjs [--quick] [--rounds=N] [--baseline=PATH [--baseline-ipc]] [--heap-mb=N]
//
// All processes start once and stay up; then every round measures, one after the other, raw
// point-to-point over tcp and over ipc, and each all-reduce case (ranks × transport × size, a few
// ops each), so load that drifts during the run hits the reference and the collective alike.
// Medians over rounds are reported.
//
// - p2p: one process sends 64 MiB as 4 MiB frames (views of one preallocated buffer, zero-copy
//   like the collective's sends) to another; the first frame's transfer is not timed.
// - all-reduce: `Communicator.allReduce` (a sum) of 1, 16 and 64 MiB of float32, and
//   `allReduceMean` of a 1,863,705-float bucket (7.45 MB: the MNIST MLP gradient of
//   bench/scaling.bench.mjs plus its 5 extra values) and of a 359-float one (the Spiral MLP's:
//   pure latency). An op's time is the slowest rank's.
//   busbw = algbw · 2(N−1)/N (NCCL's definition): what each rank's link carries per second.
// - CPU: process.cpuUsage of every process involved (all threads, ZeroMQ's I/O thread included),
//   per op for the ranks together and per 64 MiB for the p2p pair. On loopback every byte moved
//   is CPU work (two kernel copies and the receive buffer's lifecycle), so when the machine's
//   cores are the limit, busbw/p2p cannot exceed the ratio of p2p's CPU per 64 MiB to the
//   all-reduce's CPU per 64 MiB sent, times how much of the machine each gets.
// - transports: `stream` is the default for ranks on one host (Unix stream sockets read into reused
//   buffers, packages/collective/src/ring-link.ts), `tcp` ZeroMQ over tcp loopback (preferIpc
//   false); its "same transport" p2p is ZeroMQ ipc, resp. tcp. `--baseline=PATH` adds a `before` variant over tcp (with `--baseline-ipc`:
//   preferring ipc) that imports another build of @awn/collective (PATH = its dist/index.js, e.g.
//   built from an older commit).
// - `--heap-mb=N`: every rank process first fills its JS heap with ~N MB of small objects, as a
//   training process's heap holds 80-90 MB (tfjs, model, data set; measured with --trace-gc): the
//   cost of the garbage collections that received bytes trigger grows with the heap
//   (packages/collective/src/ring-link.ts).
// Environment: WS=<ranks> and SZ=<MiB,...> restrict the cases; AWN_BENCH_CHUNK_KIB sets chunkBytes.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ringRank } from './lib/ring-rank.mjs';

const MiB = 1024 * 1024;
const GRADIENT_FLOATS = 1_863_705;
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.find((a) => a.startsWith('--rounds='));
const baseline = args.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const heapMb = Number(args.find((a) => a.startsWith('--heap-mb='))?.slice('--heap-mb='.length) ?? 0);

if (args[0] === '--child') await child(JSON.parse(args[1]));
else await main();

async function main() {
  const rounds = roundsArg ? Number(roundsArg.slice('--rounds='.length)) : quick ? 3 : 7;
  const worldSizes = process.env.WS ? [Number(process.env.WS)] : [2, 4];
  const sizes = process.env.SZ
    ? process.env.SZ.split(',').map((s) => ({ label: `${s} MiB`, floats: (Number(s) * MiB) / 4, mean: false }))
    : [
        { label: '1.4 KB mean', floats: 359, mean: true },
        { label: '1 MiB', floats: MiB / 4, mean: false },
        { label: '7.45 MB mean', floats: GRADIENT_FLOATS, mean: true },
        { label: '16 MiB', floats: (16 * MiB) / 4, mean: false },
        { label: '64 MiB', floats: (64 * MiB) / 4, mean: false },
      ];
  const opsPerRound = (floats) =>
    floats >= (64 * MiB) / 4 ? 2 : floats >= (16 * MiB) / 4 ? 3 : floats >= MiB / 4 ? 6 : 20;
  const variants = [
    { name: 'stream', ipc: true, module: undefined },
    { name: 'tcp', ipc: false, module: undefined },
    ...(baseline
      ? [{ name: 'before', ipc: args.includes('--baseline-ipc'), module: pathToFileURL(baseline).href }]
      : []),
  ];
  const load0 = os.loadavg();
  console.log(
    `all-reduce benchmark: ${os.availableParallelism?.() ?? os.cpus().length} cores, node ${process.version}, load average ${load0.map((l) => l.toFixed(2)).join(' ')}, ${rounds} rounds${process.env.AWN_BENCH_CHUNK_KIB ? `, chunk ${process.env.AWN_BENCH_CHUNK_KIB} KiB` : ''}${heapMb ? `, ~${heapMb} MB of JS heap per rank` : ''}`,
  );

  const p2p = { tcp: await startPair('tcp'), ipc: await startPair('ipc') };
  const rings = [];
  for (const worldSize of worldSizes)
    for (const variant of variants)
      rings.push({
        worldSize,
        variant,
        ranks: await startRing(worldSize, variant, Math.max(...sizes.map((s) => s.floats))),
      });

  const samples = new Map();
  const record = (key, value) => samples.set(key, [...(samples.get(key) ?? []), value]);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const transport of ['tcp', 'ipc']) {
        const { rate, cpu } = await p2pRate(p2p[transport]);
        record(`p2p ${transport}`, rate);
        record(`p2p cpu ${transport}`, cpu);
      }
      for (const ring of rings) {
        for (const size of sizes) {
          const { times, cpu } = await allReduceTimes(ring.ranks, size, opsPerRound(size.floats));
          for (const seconds of times) record(`${ring.worldSize} ${ring.variant.name} ${size.label}`, seconds);
          record(`cpu ${ring.worldSize} ${ring.variant.name} ${size.label}`, cpu);
        }
      }
      process.stderr.write(`  round ${round + 1}/${rounds} done\n`);
    }
  } finally {
    for (const proc of [...Object.values(p2p).flatMap((p) => [p.receiver, p.sender]), ...rings.flatMap((r) => r.ranks)])
      proc.proc.kill();
  }

  const p2pMBps = { tcp: median(samples.get('p2p tcp')) / 1e6, ipc: median(samples.get('p2p ipc')) / 1e6 };
  const p2pCpu = { tcp: median(samples.get('p2p cpu tcp')), ipc: median(samples.get('p2p cpu ipc')) };
  console.log(
    `raw ZeroMQ point-to-point, 4 MiB frames (median of ${rounds}): tcp ${fmt(p2pMBps.tcp)} MB/s, ipc ${fmt(p2pMBps.ipc)} MB/s`,
  );
  console.log(
    `  CPU per 64 MiB moved (sender + receiver, all threads): tcp ${(p2pCpu.tcp * 1e3).toFixed(0)} ms, ipc ${(p2pCpu.ipc * 1e3).toFixed(0)} ms`,
  );
  console.log(
    'size           ranks  transport  median ms  min ms  busbw MB/s  busbw/p2p same transport  busbw/p2p tcp  CPU ms/op (all ranks)  CPU ms per 64 MiB sent',
  );
  for (const ring of rings) {
    for (const size of sizes) {
      const times = samples.get(`${ring.worldSize} ${ring.variant.name} ${size.label}`);
      const seconds = median(times);
      const busbw = ((size.floats * 4) / seconds / 1e6) * ((2 * (ring.worldSize - 1)) / ring.worldSize);
      const same = ring.variant.ipc ? p2pMBps.ipc : p2pMBps.tcp;
      const cpuPerOp = median(samples.get(`cpu ${ring.worldSize} ${ring.variant.name} ${size.label}`));
      // Bytes all ranks together put on their links in one op: 2(N−1)/N of the bucket each.
      const sentPerOp = size.floats * 4 * 2 * (ring.worldSize - 1);
      console.log(
        `${size.label.padEnd(13)}  ${String(ring.worldSize).padStart(5)}  ${ring.variant.name.padEnd(9)}  ${(seconds * 1e3).toFixed(1).padStart(9)}  ${(Math.min(...times) * 1e3).toFixed(1).padStart(6)}  ${fmt(busbw).padStart(10)}  ${(busbw / same).toFixed(2).padStart(24)}  ${(busbw / p2pMBps.tcp).toFixed(2).padStart(13)}  ${(cpuPerOp * 1e3).toFixed(1).padStart(21)}  ${(((cpuPerOp * 64 * MiB) / sentPerOp) * 1e3).toFixed(0).padStart(22)}`,
      );
    }
  }
  const load1 = os.loadavg();
  console.log(
    `goals: busbw/p2p >= 0.8 with 2 ranks and >= 0.7 with 4 at 16-64 MiB; the 7.45 MB mean under 15 ms. Load average after: ${load1.map((l) => l.toFixed(2)).join(' ')}`,
  );
}

/** CPU seconds of the whole process (every thread: ZeroMQ's I/O thread included) since `since`. */
function cpuSeconds(since) {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
}

function fmt(mbps) {
  return mbps.toFixed(0);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function spawnChild(config) {
  const proc = spawn(process.execPath, [self, '--child', JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages = [];
  const waiters = [];
  proc.on('message', (m) => (waiters.length ? waiters.shift()(m) : messages.push(m)));
  proc.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') {
      console.error(`benchmark child ${config.role} exited with ${code ?? signal}`);
      process.exit(1);
    }
  });
  return {
    proc,
    next: () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r))),
  };
}

async function startPair(transport) {
  const receiver = spawnChild({ role: 'p2p-recv', transport });
  const { address } = await receiver.next();
  const sender = spawnChild({ role: 'p2p-send', address });
  await sender.next();
  return { receiver, sender };
}

/** Bytes per second of one 64 MiB transfer, and the CPU seconds both processes spent on it. */
async function p2pRate({ receiver, sender }) {
  const totalBytes = 64 * MiB;
  const frameBytes = 4 * MiB;
  receiver.proc.send({ totalBytes, frameBytes });
  await receiver.next();
  sender.proc.send({ totalBytes, frameBytes });
  const { seconds, cpu: receiverCpu } = await receiver.next();
  await sender.next();
  // The sender's I/O thread may still be busy when its last send resolves: ask once all arrived.
  sender.proc.send({ report: true });
  const { cpu: senderCpu } = await sender.next();
  return { rate: totalBytes / seconds, cpu: receiverCpu + senderCpu };
}

async function startRing(worldSize, variant, maxFloats) {
  const ranks = Array.from({ length: worldSize }, () =>
    spawnChild({ role: 'rank', ipc: variant.ipc, module: variant.module, maxFloats, heapMb }),
  );
  const peers = (await Promise.all(ranks.map((r) => r.next()))).map((m) => m.address);
  ranks.forEach((r, rank) => r.proc.send({ rank, worldSize, peers }));
  await Promise.all(ranks.map((r) => r.next()));
  return ranks;
}

/** Seconds of each of `ops` back-to-back all-reduces (the slowest rank's), and CPU seconds per op of all ranks together. */
async function allReduceTimes(ranks, size, ops) {
  ranks.forEach((r) => r.proc.send({ floats: size.floats, mean: size.mean, ops }));
  const results = await Promise.all(ranks.map((r) => r.next()));
  return {
    times: Array.from({ length: ops }, (_, i) => Math.max(...results.map((r) => r.times[i]))),
    cpu: results.reduce((sum, r) => sum + r.cpu, 0) / ops,
  };
}

async function child(config) {
  const { Pull, Push } = await import('zeromq');
  const nextMessage = () => new Promise((resolve) => process.once('message', resolve));
  if (config.role === 'p2p-recv') {
    const pull = new Pull();
    await pull.bind(
      config.transport === 'ipc' ? `ipc://${os.tmpdir()}/awn-bench-p2p-${process.pid}.sock` : 'tcp://127.0.0.1:*',
    );
    process.send({ address: pull.lastEndpoint });
    for (;;) {
      const { totalBytes, frameBytes } = await nextMessage();
      process.send({ ready: true });
      const cpu0 = process.cpuUsage();
      let received = 0;
      let start = 0;
      while (received < totalBytes) {
        const [frame] = await pull.receive();
        if (received === 0) start = performance.now();
        received += frame.byteLength;
      }
      const seconds = (performance.now() - start) / 1e3;
      process.send({ seconds: (seconds * totalBytes) / (totalBytes - frameBytes), cpu: cpuSeconds(cpu0) });
    }
  }
  if (config.role === 'p2p-send') {
    const push = new Push({ linger: 5000 });
    push.connect(config.address);
    const data = Buffer.alloc(64 * MiB, 1);
    process.send({ ready: true });
    for (;;) {
      const { totalBytes, frameBytes } = await nextMessage();
      const cpu0 = process.cpuUsage();
      for (let sent = 0; sent < totalBytes; sent += frameBytes)
        await push.send(data.subarray(sent % data.length, (sent % data.length) + frameBytes));
      process.send({ done: true });
      await nextMessage();
      process.send({ cpu: cpuSeconds(cpu0) });
    }
  }
  // ~80 bytes of live heap per object (measured): a worker-sized heap for the collector to walk.
  globalThis.ballast = Array.from({ length: (config.heapMb ?? 0) * 12_500 }, (_, i) => ({ i, s: `b${i}` }));
  const { comm } = await ringRank({ runId: 'bench', deadlineMs: 120_000, module: config.module, ipc: config.ipc });
  const data = new Float32Array(config.maxFloats).fill(1);
  let step = 0;
  // One warm-up op per size, untimed.
  const warmed = new Set();
  process.send({ ready: true });
  for (;;) {
    const { floats, mean, ops } = await nextMessage();
    const buffer = data.subarray(0, floats);
    const times = [];
    let cpu0;
    for (let i = warmed.has(floats) ? 0 : -1; i < ops; i++) {
      if (i === 0) cpu0 = process.cpuUsage();
      const start = performance.now();
      if (mean) await comm.allReduceMean(buffer, 128, { step: step++, bucketId: 0, widthHash: 0 });
      else await comm.allReduce(buffer, { step: step++, bucketId: 0, widthHash: 0 });
      if (i >= 0) times.push((performance.now() - start) / 1e3);
    }
    warmed.add(floats);
    process.send({ times, cpu: cpuSeconds(cpu0) });
  }
}
