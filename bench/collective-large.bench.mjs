#!/usr/bin/env node
// The collectives at transformer scale: the regroup broadcast of a 100M-parameter model's state
// (400 MB of float32 weights + 800 MB of Adam moments, as three buffers) and the all-reduce of its
// 400 MB gradient, between separate rank processes on this machine. Prints each op's time against
// the 30 s default collective deadline and every rank's peak resident set against the data size:
// the bounded-buffering claim (packages/collective/src/inbox.ts) is that a rank holds one copy of
// the data plus a fixed amount, however large the data. Runs twice: with default malloc settings
// and with MALLOC_MMAP_THRESHOLD_ fixed (see `run`). Not a test: nothing is asserted.
//
//   node bench/collective-large.bench.mjs [--quick] [--ranks=N] [--params=M]
// --params is in millions of float32 parameters (default 100; --quick: 64, i.e. a 256 MB
// gradient and a 768 MB state). Needs about (2 + ranks) × 12 bytes per parameter of free memory.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ringRank } from './lib/ring-rank.mjs';

const MB = 1e6;
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const option = (name, fallback) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);

if (args[0] === '--child') await child();
else await main();

async function main() {
  const quick = args.includes('--quick');
  const ranks = option('ranks', 2);
  const params = option('params', quick ? 64 : 100) * 1e6;
  const load0 = os.loadavg();
  console.log(
    `large collectives: ${ranks} ranks, ${params / 1e6}M parameters, ${os.cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`,
  );
  for (const mmapThreshold of [undefined, 128 * 1024]) await run(ranks, params, mmapThreshold);
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

/**
 * One broadcast and one all-reduce in fresh rank processes. With `mmapThreshold` they run with
 * glibc's MALLOC_MMAP_THRESHOLD_ fixed: ZeroMQ's receive buffers are then mmapped and returned to
 * the system when V8 collects them, instead of staying in malloc's arenas once freed.
 */
async function run(ranks, params, mmapThreshold) {
  const env =
    mmapThreshold === undefined ? process.env : { ...process.env, MALLOC_MMAP_THRESHOLD_: String(mmapThreshold) };
  console.log(mmapThreshold === undefined ? 'default malloc settings:' : `MALLOC_MMAP_THRESHOLD_=${mmapThreshold}:`);
  const children = Array.from({ length: ranks }, () => {
    const proc = spawn(process.execPath, [...(process.env.AWN_BENCH_NODE_ARGS?.split(' ') ?? []), self, '--child'], {
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const queue = [];
    const waiters = [];
    proc.on('message', (m) => (waiters.length ? waiters.shift()(m) : queue.push(m)));
    return { proc, next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))) };
  });
  try {
    const peers = (await Promise.all(children.map((c) => c.next()))).map((m) => m.address);
    children.forEach((c, rank) => c.proc.send({ rank, worldSize: ranks, peers, params }));
    const results = await Promise.all(children.map((c) => c.next()));
    const stateBytes = params * 12;
    const gradientBytes = params * 4;
    console.log(
      'op                                  seconds  MB/s    deadline 30 s   peak RSS growth per rank (MB)   growth − data (MB)',
    );
    for (const [key, label, bytes] of [
      ['broadcast', `broadcast ${fmt(stateBytes / MB)} MB (3 buffers)`, stateBytes],
      ['allreduce', `all-reduce mean ${fmt(gradientBytes / MB)} MB`, gradientBytes],
    ]) {
      const seconds = Math.max(...results.map((r) => r[key].seconds));
      const growth = results.map((r) => r[key].rssGrowth / MB);
      // The root's broadcast buffers and every rank's gradient exist before the op; a receiving
      // rank's outputs are allocated inside it.
      const data = results.map((r, rank) => (key === 'broadcast' && rank !== 0 ? bytes / MB : 0));
      console.log(
        `${label.padEnd(35)} ${seconds.toFixed(2).padStart(7)}  ${fmt(bytes / seconds / MB).padStart(5)}    ${seconds < 30 ? 'within' : 'MISSED'}          ${growth.map(fmt).join(' / ').padEnd(30)}  ${growth.map((g, i) => fmt(g - data[i])).join(' / ')}`,
      );
    }
  } finally {
    for (const c of children) c.proc.kill();
  }
}

function fmt(x) {
  return x.toFixed(0);
}

async function child() {
  const { comm, setup, endpoint } = await ringRank({ runId: 'large', deadlineMs: 600_000 });
  const params = setup.params;
  const root =
    setup.rank === 0
      ? [new Float32Array(params).fill(0.5), new Float32Array(params).fill(0.25), new Float32Array(params).fill(0.125)]
      : null;
  const gradient = new Float32Array(params).fill(setup.rank + 1);
  const measure = async (op) => {
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    const start = performance.now();
    await op();
    const seconds = (performance.now() - start) / 1e3;
    clearInterval(sampler);
    return { seconds, rssGrowth: Math.max(peak, process.memoryUsage.rss()) - before };
  };
  await comm.barrier();
  const broadcast = await measure(() => comm.broadcast(root, { root: 0, step: 0 }));
  await comm.barrier();
  const allreduce = await measure(() =>
    comm.allReduceMean(gradient, 100 + setup.rank, { step: 1, bucketId: 0, widthHash: 0 }),
  );
  process.send({ broadcast, allreduce });
  await comm.close();
  endpoint.close();
  process.disconnect();
}
