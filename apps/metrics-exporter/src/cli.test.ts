import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseExporterArgs } from './cli.js';
import { DEFAULT_SNAPSHOT_ENDPOINT } from './exporter.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

test('flags map to exporter options', () => {
  assert.deepEqual(parseExporterArgs([], {}), {
    bind: DEFAULT_SNAPSHOT_ENDPOINT,
    http: { host: '0.0.0.0', port: 9464 },
    staleAfterMs: 30_000,
  });
  assert.deepEqual(
    parseExporterArgs(
      ['--port', '9999', '--host', '127.0.0.1', '--listen', 'tcp://0.0.0.0:7000', '--stale-after', '2.5'],
      {
        AWN_METRICS_CURVE_SECRET_KEY: 'k'.repeat(40),
      },
    ),
    {
      bind: 'tcp://0.0.0.0:7000',
      http: { host: '127.0.0.1', port: 9999 },
      staleAfterMs: 2500,
      curve: { secretKey: 'k'.repeat(40) },
    },
  );
  assert.equal(parseExporterArgs(['-h'], {}), 'help');
  assert.throws(
    () => parseExporterArgs(['--port', '70000'], {}),
    /--port must be an integer in 0\.\.65535, got '70000'/,
  );
  assert.throws(() => parseExporterArgs(['--listen', '127.0.0.1:9465'], {}), /--listen must be a ZeroMQ endpoint/);
  assert.throws(() => parseExporterArgs(['--stale-after', '0'], {}), /--stale-after must be a positive/);
  assert.throws(() => parseExporterArgs(['--bogus'], {}), /bogus/);
});

test('the standalone process serves /healthz and exits 0 on SIGTERM', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--host', '127.0.0.1', '--listen', 'tcp://127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWN_LOG_LEVEL: 'info' },
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  try {
    const exited = once(child, 'exit');
    let listening: { http: string; snapshots: string } | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      const entry = JSON.parse(line);
      if (entry.msg === 'metrics exporter listening') {
        listening = entry;
        break;
      }
    }
    assert.ok(listening, 'the exporter logged where it listens');
    assert.match(listening.snapshots, /^tcp:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(listening.http.replace('/metrics', '/healthz'), { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0);
  } finally {
    clearTimeout(killer);
  }
});

test('a bad flag exits 2 with the reason and the usage', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [MAIN, '--port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const [code] = await once(child, 'exit');
  clearTimeout(killer);
  assert.equal(code, 2);
  assert.match(stderr, /--port must be an integer in 0\.\.65535, got 'abc'/);
  assert.match(stderr, /Usage: metrics-exporter/);
});
