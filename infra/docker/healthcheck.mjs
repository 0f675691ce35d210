#!/usr/bin/env node
// Docker HEALTHCHECK for every awn role. It reads the command line of the container's main
// process to learn the role and port: the metrics exporter must answer GET /healthz, the
// coordinator must accept TCP connections on its rendezvous port. A worker listens on nothing
// fixed; the coordinator's heartbeats detect a stuck one, so it reports healthy while alive.
// AWN_HEALTHCHECK_PID names the process to inspect (default 1, the container's main process).
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const pid = process.env.AWN_HEALTHCHECK_PID ?? '1';
let args;
try {
  args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
} catch {
  args = [];
}
// An exited process that is not reaped yet still has a /proc entry, with an empty command line.
if (args.length === 0) {
  console.error(`healthcheck: process ${pid} is not running`);
  process.exit(1);
}

function flag(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

function fail(message) {
  console.error(`healthcheck: ${message}`);
  process.exit(1);
}

// `awn metrics-exporter ...` or the exporter's own entry point (apps/metrics-exporter/dist/main.js).
const role = args.some((a) => a.endsWith('metrics-exporter/dist/main.js'))
  ? 'metrics-exporter'
  : ['metrics-exporter', 'coordinator', 'worker', 'train'].find((r) => args.includes(r));
if (role === 'metrics-exporter') {
  const url = `http://127.0.0.1:${flag('--port', '9464')}/healthz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
    if (!res.ok) fail(`${url} answered ${res.status}`);
  } catch (error) {
    fail(`${url}: ${error.message}`);
  }
} else if (role === 'coordinator') {
  const port = Number(flag('--port', '5555'));
  await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 4000 }, () => {
      socket.destroy();
      resolve();
    });
    socket.on('timeout', () => fail(`no answer on port ${port}`));
    socket.on('error', (error) => fail(`port ${port}: ${error.message}`));
  });
}
process.exit(0);
