import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { awn, main, root } from './cli-harness.test.util.js';

/** A port that was free a moment ago: the test then asks the exporter for exactly that port. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('awn metrics-exporter', { timeout: 60_000 }, () => {
  it('serves /metrics on the port it is given and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [main, 'metrics-exporter', '--port', String(port), '--host', '127.0.0.1', '--listen', 'tcp://127.0.0.1:0'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, AWN_LOG_LEVEL: 'info' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const exited = once(child, 'exit');
      let listening: { http: string } | undefined;
      for await (const line of createInterface({ input: child.stdout })) {
        const entry = JSON.parse(line);
        if (entry.msg === 'metrics exporter listening') {
          listening = entry;
          break;
        }
      }
      assert.ok(listening, `the exporter logged where it listens; stderr: ${stderr}`);
      assert.equal(listening.http, `http://127.0.0.1:${port}/metrics`);
      const res = await fetch(listening.http, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(await res.text(), /^# TYPE awn_layer_width gauge$/m);
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, stderr);
    } finally {
      clearTimeout(killer);
    }
  });

  it('--help shows the exporter’s own flags under the awn name', async () => {
    for (const args of [
      ['metrics-exporter', '--help'],
      ['help', 'metrics-exporter'],
    ]) {
      const r = await awn(args, 30_000);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: awn metrics-exporter \[options\]/);
      for (const flag of ['--port N', '--host ADDR', '--listen EP', '--stale-after S'])
        assert.match(r.stdout, new RegExp(flag));
    }
  });

  it('a bad flag is exit code 2 naming the flag', async () => {
    const r = await awn(['metrics-exporter', '--port', 'abc'], 30_000);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port must be an integer in 0\.\.65535, got 'abc'/);
    const unknown = await awn(['metrics-exporter', '--bogus'], 30_000);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /bogus/);
  });
});
