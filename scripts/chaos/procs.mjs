// Process helpers of the chaos suite (scripts/chaos.mjs): start `awn` as a user would, find the
// workers a `train --workers` process started, signal them, and wait without trusting timers.
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(root, 'apps/cli/dist/main.js');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `awn ARGS`; `done` resolves with code, signal, stdout and stderr once it exits. */
export function launch(args, { cwd = root, info = false } = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { ...process.env, AWN_LOG_LEVEL: info ? 'info' : 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const h = { child, stdout: '', stderr: '', exited: false };
  child.stdout.on('data', (d) => (h.stdout += d));
  child.stderr.on('data', (d) => (h.stderr += d));
  h.done = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      h.exited = true;
      resolve({ code, signal, stdout: h.stdout, stderr: h.stderr });
    }),
  );
  return h;
}

/** Pids of the direct children of `pid` (the local workers of `awn train --workers`). */
export function childPids(pid) {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function signal(pid, sig) {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `predicate()` holds, polling; false if `limitMs` passed first. */
export async function until(predicate, limitMs, everyMs = 100) {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await predicate()) return true;
    await sleep(everyMs);
  }
  return predicate();
}

/** The control address `awn train --workers` logs at info level, once it is listening. */
export function controlAddress(h) {
  const m = /"address":"(tcp:\/\/[^"]+)"/.exec(h.stderr);
  return m?.[1];
}
