// The fault scenarios of scripts/chaos.mjs. Each trains one run to completion through the faults
// it injects (resuming after a kill, starting again when no checkpoint existed yet) and returns
// what happened; scripts/chaos/checks.mjs then compares the run with a clean one.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { newestLoadable } from './checks.mjs';
import { alive, childPids, controlAddress, launch, signal, sleep, until } from './procs.mjs';

const CLUSTER = ['--workers', '2', '--no-metrics'];

/**
 * Runs `ctx.config` into `dir` until it completes: `inject(handle, attempt)` disturbs each of the
 * first `faultRounds` attempts and returns how many faults it injected. After each failed attempt
 * the newest checkpoint must verify; the next attempt resumes from it, or starts again if none.
 */
async function finish(ctx, dir, extra, inject, faultRounds) {
  const res = { dir, faults: 0, loadable: 0, checked: 0, orphans: 0, problems: [], completed: false, why: '' };
  let fresh = true;
  for (let attempt = 0; attempt < faultRounds + 4; attempt++) {
    const args = fresh
      ? ['train', '--config', ctx.config, '--out', dir, '--force', ...extra]
      : ['train', '--resume', dir, ...extra];
    const h = launch(args, { info: extra.includes('--workers') });
    const workers = [];
    if (attempt < faultRounds) res.faults += await inject(h, workers);
    const r = await h.done;
    res.orphans += await reap(workers);
    // A run killed after it had written everything is complete: resuming it says so.
    if (r.code === 0 || (!fresh && r.code === 2 && /already completed/.test(r.stderr))) {
      res.completed = true;
      return res;
    }
    res.why = `${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').at(-1)}`;
    const n = existsSync(join(dir, 'checkpoints')) ? await newestLoadable(dir) : { skipped: 0 };
    res.checked++;
    if (n.skipped === 0) res.loadable++;
    else res.problems.push(`${n.skipped} damaged checkpoint(s) newer than ${n.latest ?? 'none'}`);
    fresh = n.latest === undefined;
  }
  return res;
}

/** Waits up to 20 s for workers whose coordinator died to exit; kills and counts the rest. */
async function reap(pids) {
  await until(() => pids.every((p) => !alive(p)), 20_000, 200);
  const left = pids.filter(alive);
  for (const p of left) signal(p, 'SIGKILL');
  return left.length;
}

/** Polls checkpoints/ until a checkpoint is being written (its temporary file exists). */
async function duringCheckpointWrite(dir, h, limitMs) {
  return until(
    async () => {
      if (h.exited) return true;
      try {
        return (await readdir(join(dir, 'checkpoints'))).some((n) => n.endsWith('.tmp'));
      } catch {
        return false;
      }
    },
    limitMs,
    2,
  );
}

/** SIGKILL of a single-process run: first while a checkpoint is being written, then at a random moment. */
export async function killTraining(ctx, name) {
  const dir = join(ctx.work, name);
  return finish(
    ctx,
    dir,
    [],
    async (h) => {
      if (ctx.random() < 0.5) await duringCheckpointWrite(dir, h, 8000);
      else await sleep(300 + ctx.random() * 4000);
      return !h.exited && signal(h.child.pid, 'SIGKILL') ? 1 : 0;
    },
    2,
  );
}

/** SIGSTOP / SIGCONT of a single-process run, a few times: it must finish as if never paused. */
export async function pauseTraining(ctx, name) {
  const dir = join(ctx.work, name);
  return finish(
    ctx,
    dir,
    [],
    async (h) => {
      let n = 0;
      for (let i = 0; i < 3 && !h.exited; i++) {
        await sleep(200 + ctx.random() * 1500);
        if (h.exited || !signal(h.child.pid, 'SIGSTOP')) break;
        n++;
        await sleep(200 + ctx.random() * 1500);
        signal(h.child.pid, 'SIGCONT');
      }
      return n;
    },
    1,
  );
}

/** Several runs started into one directory at once: exactly one trains, the others are refused. */
export async function concurrentRuns(ctx, name, count) {
  const dir = join(ctx.work, name);
  const runs = await Promise.all(
    Array.from({ length: count }, () => launch(['train', '--config', ctx.config, '--out', dir]).done),
  );
  const won = runs.filter((r) => r.code === 0).length;
  const refused = runs.filter((r) => r.code === 2 && /in use by another awn process|not empty/.test(r.stderr)).length;
  const problems = [];
  if (won !== 1) problems.push(`${won} of ${count} concurrent runs trained (exactly one should)`);
  if (won + refused !== count)
    problems.push(
      `unexpected exits: ${runs.map((r) => `${r.code}: ${r.stderr.trim().split('\n').at(-1)}`).join(' | ')}`,
    );
  return {
    dir,
    faults: count - 1,
    loadable: 0,
    checked: 0,
    refused,
    problems,
    completed: won >= 1,
    why: problems.join('; '),
  };
}

/** SIGKILL or SIGSTOP of a worker or the coordinator of `train --workers 2`, then resume until done. */
export async function killCluster(ctx, name) {
  const dir = join(ctx.work, name);
  return finish(
    ctx,
    dir,
    CLUSTER,
    async (h, workers) => {
      if (!(await until(() => h.exited || childPids(h.child.pid).length === 2, 60_000))) return 0;
      workers.push(...childPids(h.child.pid));
      await sleep(500 + ctx.random() * 4000);
      if (h.exited) return 0;
      const roll = ctx.random();
      const victim = workers[Math.floor(ctx.random() * workers.length)];
      if (roll < 0.35) return signal(h.child.pid, 'SIGKILL') ? 1 : 0;
      if (roll < 0.7) return signal(victim, 'SIGKILL') ? 1 : 0;
      if (!signal(victim, 'SIGSTOP')) return 0;
      await sleep(500 + ctx.random() * 5000);
      signal(victim, 'SIGCONT');
      return 1;
    },
    2,
  );
}

/** Junk, oversized and malformed frames at the control socket of a `train --workers 2` run. */
export async function junkFrames(ctx, name, short) {
  const dir = join(ctx.work, name);
  const { Dealer } = await import('zeromq');
  return finish(
    ctx,
    dir,
    CLUSTER,
    async (h) => {
      // zeromq's pending sends do not keep Node's loop alive; this timer does while junk flies.
      const keepAlive = setInterval(() => undefined, 1000);
      try {
        return await throwJunk(h, ctx, Dealer, short);
      } finally {
        clearInterval(keepAlive);
      }
    },
    1,
  );
}

/** A send that gives up after 3 s (a peer that is gone never takes the frame). */
function sendOrGiveUp(dealer, parts) {
  return Promise.race([
    dealer.send(parts).then(
      () => 1,
      () => 0,
    ),
    sleep(3000).then(() => 0),
  ]);
}

async function throwJunk(h, ctx, Dealer, short) {
  if (!(await until(() => h.exited || controlAddress(h) !== undefined, 60_000))) return 0;
  const address = controlAddress(h);
  if (!address) return 0;
  let n = 0;
  const dealer = new Dealer({ sendTimeout: 2000, linger: 0 });
  dealer.connect(address);
  const frames = short ? 50 : 500;
  for (let i = 0; i < frames && !h.exited; i++) {
    const parts = Array.from({ length: 1 + Math.floor(ctx.random() * 3) }, () =>
      Buffer.from(Array.from({ length: Math.floor(ctx.random() * 512) }, () => Math.floor(ctx.random() * 256))),
    );
    n += await sendOrGiveUp(dealer, parts);
  }
  // One frame far beyond any message's size limit.
  if (!h.exited) n += await sendOrGiveUp(dealer, Buffer.alloc((short ? 16 : 64) << 20, 0xab));
  dealer.close();
  // Bytes that are not ZMTP at all, on fresh TCP connections.
  const [host, port] = address.replace('tcp://', '').split(':');
  for (let i = 0; i < (short ? 5 : 50) && !h.exited; i++) {
    const s = connect(Number(port), host);
    s.on('error', () => undefined);
    s.on('connect', () => {
      s.end(Buffer.from(Array.from({ length: 64 + i * 16 }, () => Math.floor(ctx.random() * 256))));
      n++;
    });
    // The peer may wait for more of a greeting forever: each connection gets 2 s, then is dropped.
    await Promise.race([new Promise((resolve) => s.on('close', resolve)), sleep(2000)]);
    s.destroy();
  }
  return n;
}
