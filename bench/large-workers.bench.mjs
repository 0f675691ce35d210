#!/usr/bin/env node
// The Transformer preset trained data-parallel (issue 15 item 4): `awn train --config
// examples/large.json --workers 2 --steps N`, reporting tokens/s, each rank's step split into
// compute / all-reduce / update, the start-up (initial-state broadcast included) and the memory of
// every worker process. Spawns the compiled CLI, so build first (npx tsc -b). Not a test: nothing is
// asserted.
//
//   node bench/large-workers.bench.mjs [--config=examples/large.json] [--steps=3] [--workers=2]
//        [--blocks=B] [--dmodel=D] [--heads=H] [--batch=GLOBAL] [--seq=T] [--keep]
//
// --blocks/--dmodel/--heads/--batch/--seq derive a smaller (or larger) variant of the config (the
// context follows --seq); the resolved shape and parameter count are printed. Every step is logged
// (logEvery 1), evaluation and checkpoints during training are off.
//
// - tokens/s = global samples × sequence length / step seconds, from metrics.jsonl (the coordinator's
//   wall time between completed steps), over the steps after the first (warm-up) when there are ≥ 3.
// - phases: ranks[].computeMs (data + forward/backward), allreduceMs (from entering the collective:
//   includes waiting for the slower rank; the smallest of each step is the last rank in, i.e. the
//   collective's own cost) and updateMs (optimizer + width update), averaged over ranks and steps.
// - memory: each worker's resident set sampled every 500 ms from /proc (peak VmHWM and last VmRSS),
//   and the RSS / engine bytes the workers log at every step (the engine's are live tensors between
//   steps; the peak inside a step is in VmHWM).
// - start-up: "run started" (all workers joined) to the last "rank r/N ready" (the initial state was
//   broadcast and loaded), and to the first completed step.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median } from './lib/stats.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const CLI = fileURLToPath(new URL('../apps/cli/dist/main.js', import.meta.url));
if (!existsSync(CLI)) {
  console.error(`missing ${CLI}: build first (npx tsc -b)`);
  process.exit(1);
}
const configPath = args.config ?? fileURLToPath(new URL('../examples/large.json', import.meta.url));
const steps = Number(args.steps ?? 3);
const workers = Number(args.workers ?? 2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const model = config.model;
if (args.blocks) model.blocks = Number(args.blocks);
if (args.dmodel) model.dModel = Number(args.dmodel);
if (args.heads) model.heads = Number(args.heads);
if (args.seq) {
  config.data.sequenceLength = Number(args.seq);
  model.context = Number(args.seq);
}
if (args.batch) config.training.batchSize = Number(args.batch);
config.training = { ...config.training, steps, logEvery: 1, evalEvery: 0, checkpointEvery: 0 };
const seq = config.data.sequenceLength;

const dir = mkdtempSync(join(os.tmpdir(), 'awn-large-workers-'));
const configFile = join(dir, 'config.json');
writeFileSync(configFile, JSON.stringify(config, null, 2));
const dry = spawnSync(process.execPath, [CLI, 'train', '--config', configFile, '--dry-run'], { encoding: 'utf8' });
const load0 = os.loadavg();
console.log(
  `large-workers: ${workers} workers, ${steps} steps, ${os.availableParallelism?.() ?? os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${load0.map((l) => l.toFixed(2)).join(' ')}`,
);
console.log((dry.stdout || dry.stderr).trim().split('\n').slice(0, 1).join('\n'));

const runDir = join(dir, 'run');
const started = performance.now();
const child = spawn(
  process.execPath,
  [CLI, 'train', '--config', configFile, '--workers', String(workers), '--no-metrics', '--out', runDir],
  { env: { ...process.env, AWN_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
);
const logs = [];
const problems = [];
let pending = '';
const collect = (chunk) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    if (!line.startsWith('{')) {
      if (/error|fail|exited/i.test(line)) problems.push(line);
      continue;
    }
    try {
      const entry = JSON.parse(line);
      logs.push({ ...entry, seenAt: performance.now() });
      if (entry.level >= 40) problems.push(`${entry.name ?? ''} ${entry.msg ?? ''} ${entry.err?.message ?? ''}`);
    } catch {
      problems.push(line.slice(0, 300));
    }
  }
};
child.stdout.on('data', collect);
child.stderr.on('data', collect);

// Workers are the CLI's child processes; sample their memory from /proc while the run lasts.
const memory = new Map();
const sampler = setInterval(() => {
  const ps = spawnSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' });
  for (const pid of ps.stdout
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = (key) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? 0) * 1024;
      const prev = memory.get(pid) ?? { hwm: 0, rss: 0 };
      memory.set(pid, { hwm: Math.max(prev.hwm, kib('VmHWM')), rss: kib('VmRSS') || prev.rss });
    } catch {
      // The process ended between ps and the read.
    }
  }
}, 500);
const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
clearInterval(sampler);
const wallSeconds = (performance.now() - started) / 1e3;
if (code !== 0) {
  console.log(`awn train exited with ${code}; warnings and errors:`);
  for (const p of problems.slice(-12)) console.log(`  ${p}`);
}

const metricsPath = join(runDir, 'metrics.jsonl');
const lines = existsSync(metricsPath)
  ? readFileSync(metricsPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((l) => Array.isArray(l.ranks))
  : [];
const measured = lines.length >= 3 ? lines.slice(1) : lines;
const stepSeconds = measured.map((l) => l.samples / l.samplesPerSecond);
const tokens = measured.reduce((s, l) => s + l.samples * seq, 0);
const seconds = stepSeconds.reduce((s, x) => s + x, 0);
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const phase = (key) => mean(measured.flatMap((l) => l.ranks.map((r) => r[key])));
const lastIn = mean(measured.map((l) => Math.min(...l.ranks.map((r) => r.allreduceMs))));
const summaryPath = join(runDir, 'summary.json');
const summary = existsSync(summaryPath) ? JSON.parse(readFileSync(summaryPath, 'utf8')) : {};
const runStarted = logs.find((l) => /started with \d+ workers/.test(l.msg ?? ''));
const ready = logs.filter((l) => /^rank \d+\/\d+ ready/.test(l.msg ?? ''));
const firstStep = logs.find((l) => l.name === 'awn-train' && l.step === 1 && /^step 1\//.test(l.msg ?? ''));
const memLogs = logs.filter((l) => typeof l.rssBytes === 'number');
const GiB = 2 ** 30;

console.log(
  `model: ${summary.parameters ? `${(summary.parameters / 1e6).toFixed(1)}M parameters, ` : ''}${model.blocks} blocks, d_model ${model.dModel}, ${model.heads} heads, global batch ${config.training.batchSize} × ${seq} tokens, backend ${summary.backend ?? config.backend}, widths after ${JSON.stringify(summary.widths ?? [])}`,
);
if (runStarted && ready.length)
  console.log(
    `start-up: all workers joined → all ranks ready (initial state broadcast) ${((Math.max(...ready.map((r) => r.time)) - runStarted.time) / 1e3).toFixed(1)} s; → first step done ${firstStep ? ((firstStep.time - runStarted.time) / 1e3).toFixed(1) : '?'} s`,
  );
console.log(
  `steps measured: ${measured.length} of ${lines.length} (first dropped as warm-up when ≥ 3); step ${(median(stepSeconds) ?? Number.NaN).toFixed(2)} s median`,
);
console.log(`tokens/s: ${(tokens / seconds).toFixed(1)} (${workers} workers)`);
console.log(
  `per rank step: compute ${(phase('computeMs') / 1e3).toFixed(2)} s, all-reduce ${(phase('allreduceMs') / 1e3).toFixed(2)} s (collective, last rank in: ${(lastIn / 1e3).toFixed(2)} s), update ${(phase('updateMs') / 1e3).toFixed(2)} s; all-reduce share ${((100 * phase('allreduceMs')) / phase('totalMs')).toFixed(1)} %`,
);
for (const [pid, m] of memory)
  console.log(`worker pid ${pid}: peak RSS ${(m.hwm / GiB).toFixed(2)} GiB, last RSS ${(m.rss / GiB).toFixed(2)} GiB`);
for (const rank of [...new Set(memLogs.map((l) => l.rank))].sort()) {
  const mine = memLogs.filter((l) => l.rank === rank);
  console.log(
    `rank ${rank} logged: RSS max ${(Math.max(...mine.map((l) => l.rssBytes)) / GiB).toFixed(2)} GiB, engine bytes between steps max ${(Math.max(...mine.map((l) => l.engineBytes)) / GiB).toFixed(3)} GiB`,
  );
}
const evictions = logs.filter((l) => /missed \d+ heartbeats|evict|stalled/.test(l.msg ?? ''));
console.log(
  `exit ${code}, ${evictions.length} eviction/stall messages, wall ${wallSeconds.toFixed(0)} s, load average after ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (args.keep) console.log(`run directory kept: ${runDir}`);
else rmSync(dir, { recursive: true, force: true });
