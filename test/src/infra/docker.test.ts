import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT as REPO_ROOT, freePort } from '../helpers.js';

// Docker cannot build here; what can be checked without it is the health check script the images
// run and the Dockerfiles' promises (base image, non-root user, production install, HEALTHCHECK).

const HEALTHCHECK = join(REPO_ROOT, 'infra/docker/healthcheck.mjs');
const MAIN = join(REPO_ROOT, 'apps/metrics-exporter/dist/main.js');

function healthcheck(pid: number): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [HEALTHCHECK], {
    env: { ...process.env, AWN_HEALTHCHECK_PID: String(pid) },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: run.status, stderr: run.stderr };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

test('healthcheck: the exporter is healthy while /healthz answers', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [MAIN, '--port', String(port), '--host', '127.0.0.1', '--listen', 'tcp://127.0.0.1:0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWN_LOG_LEVEL: 'info' },
    },
  );
  try {
    let listening = false;
    for await (const line of createInterface({ input: child.stdout! })) {
      listening = line.includes('metrics exporter listening');
      if (listening) break;
    }
    assert.ok(listening, 'the exporter started');
    assert.equal(healthcheck(child.pid!).status, 0);
  } finally {
    await stop(child);
  }
  const dead = healthcheck(child.pid!);
  assert.equal(dead.status, 1);
  assert.match(dead.stderr, /not running/);
});

test('healthcheck: the coordinator is healthy while its port accepts connections', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const listen =
    "require('net').createServer(s=>s.end()).listen(+process.argv.at(-1),'127.0.0.1',()=>console.log('up'))";
  const idle = 'setInterval(()=>{},1000);console.log("up")';
  const up = spawn(process.execPath, ['-e', listen, 'coordinator', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const closed = spawn(process.execPath, ['-e', idle, 'coordinator', '--port', String(await freePort())], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await Promise.all([once(up.stdout!, 'data'), once(closed.stdout!, 'data')]);
    assert.equal(healthcheck(up.pid!).status, 0);
    const refused = healthcheck(closed.pid!);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /port \d+/);
  } finally {
    await stop(up);
    await stop(closed);
  }
});

test('the Dockerfiles build non-root images with production dependencies and a health check', () => {
  for (const [file, base] of [
    ['Dockerfile.cpu', /^FROM node:20-slim\b/m],
    ['Dockerfile.gpu', /^ARG CUDA_IMAGE=nvidia\/cuda:[\w.-]+cudnn[\w.-]*$/m],
  ] as const) {
    const text = readFileSync(join(REPO_ROOT, 'infra/docker', file), 'utf8');
    assert.match(text, base, `${file} base image`);
    assert.match(text, /npm ci --omit=dev/, `${file} installs production dependencies only`);
    assert.match(text, /^USER 10001:10001$/m, `${file} runs as a non-root user`);
    assert.match(text, /^HEALTHCHECK .*infra\/docker\/healthcheck\.mjs/m, `${file} has a health check`);
    assert.match(text, /^ENTRYPOINT \["node", "apps\/cli\/dist\/main\.js"\]$/m, `${file} runs the awn CLI`);
    const stages = text.match(/^FROM /gm)?.length ?? 0;
    assert.ok(stages >= 2, `${file} keeps the toolchain out of the final stage`);
  }
  assert.match(readFileSync(join(REPO_ROOT, 'infra/docker/Dockerfile.gpu'), 'utf8'), /tfjs-node-gpu/);
});
