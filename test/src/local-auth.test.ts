import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dealer, Push } from 'zeromq';
import { MessageCodec, withEnvelope, type Message } from '@awn/protocol';
import { AwnProcess } from './helpers.js';

/**
 * `awn train --workers N` authenticates its own children by default (a fresh secret of the run in
 * their environment): another local process that learns every port and even the run id can
 * neither join, nor learn the run id from the coordinator, nor abort the run through a ring port.
 */
describe('per-run authentication of awn train --workers', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-local-auth-'));
    await writeFile(
      join(dir, 'c.json'),
      JSON.stringify({ data: { dataset: 'doublemoon' }, training: { steps: 40, batchSize: 16, checkpointEvery: 0 } }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('forged joins, control messages and ring messages from a non-child process change nothing', async () => {
    const out = join(dir, 'run');
    const run = new AwnProcess(
      ['train', '--config', join(dir, 'c.json'), '--workers', '2', '--out', out, '--metrics-port', '0'],
      // Slow steps keep the run going while the forgeries arrive; info shows the workers' ports.
      { AWN_LOG_LEVEL: 'info', AWN_TEST_STEP_DELAY_MS: '100', AWN_CLUSTER_SECRET: '' },
    );
    const sockets: { close(): void }[] = [];
    try {
      const [, coordinator] = await run.waitFor(/coordinator listening on (tcp:\/\/127\.0\.0\.1:\d+)/);
      // The test reads the run id from the run's own log, which an attacker could not: even so.
      const [, runId] = await run.waitFor(/run ([0-9a-f-]{36}) started with 2 workers/);
      const rings = [...(run.stdout + run.stderr).matchAll(/"dataAddress":"(tcp:\/\/127\.0\.0\.1:\d+)"/g)].map(
        (m) => m[1]!,
      );
      assert.equal(rings.length, 2, run.stderr.slice(-2000));
      const codec = new MessageCodec();
      const dealer = new Dealer({ linger: 0, receiveTimeout: 2000 });
      sockets.push(dealer);
      dealer.connect(coordinator!);
      const envelope = { runId: runId!, generation: 0, step: 1, sender: 0 };
      const joinMessage = withEnvelope({ ...envelope, runId: '', sender: -1 }, 'join', {
        workerId: 'intruder',
        host: 'h',
        pid: 1,
        dataAddress: 'tcp://127.0.0.1:9',
        configHash: 'none',
        backend: 'cpu',
      }) as Message;
      const abort = (sender: number) =>
        withEnvelope({ ...envelope, sender }, 'error', {
          code: 'aborted',
          message: 'forged abort',
          ranks: [sender],
          reporter: sender,
          fatal: true,
        }) as Message;
      await dealer.send(codec.encode(joinMessage));
      await dealer.send(codec.encode(abort(1)));
      for (const [rank, address] of rings.entries()) {
        const push = new Push({ linger: 0, sendTimeout: 1000 });
        sockets.push(push);
        push.connect(address);
        // Each worker's ring predecessor is the other rank of two.
        await push.send(codec.encode(abort(1 - rank))).catch(() => undefined);
      }
      const reply = await dealer.receive().then(
        (frames) => codec.decode(frames).message,
        () => undefined,
      );
      assert.equal(reply, undefined, `the coordinator answered an unauthenticated peer: ${JSON.stringify(reply)}`);
      const finished = await run.done(240_000);
      assert.equal(finished.code, 0, finished.stderr.slice(-3000));
      assert.doesNotMatch(finished.stderr, /forged abort|reported aborted/);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
        status: string;
        steps: number;
      };
      assert.deepEqual([summary.status, summary.steps], ['completed', 40]);
      assert.match(finished.stderr, /"code":"bad-signature".*dropped a control message/);
      // The secret went to the workers by environment, never on a command line.
      assert.doesNotMatch(finished.stderr, /AWN_CLUSTER_SECRET=/);
    } finally {
      for (const s of sockets) s.close();
      run.kill();
    }
  });

  it('with AWN_CLUSTER_SECRET set, the coordinator verifies with it and the workers inherit it', async () => {
    const out = join(dir, 'env-secret');
    const run = new AwnProcess(
      [
        'train',
        '--config',
        join(dir, 'c.json'),
        '--workers',
        '2',
        '--out',
        out,
        '--metrics-port',
        '0',
        '--steps',
        '10',
      ],
      { AWN_CLUSTER_SECRET: 'a-cluster-secret-set-by-the-user-0123456789' },
    );
    try {
      const finished = await run.done(240_000);
      assert.equal(finished.code, 0, finished.stderr.slice(-3000));
      assert.doesNotMatch(finished.stderr, /bad-signature/);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { status: string };
      assert.equal(summary.status, 'completed');
    } finally {
      run.kill();
    }
  });
});
