import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dealer, curveKeyPair } from 'zeromq';
import { AwnProcess, awn } from './helpers.js';

const NO_AUTH = { AWN_CLUSTER_SECRET: '', AWN_CURVE_PUBLIC_KEY: '', AWN_CURVE_SECRET_KEY: '' };

describe('cluster authentication with ZeroMQ CURVE', () => {
  let dir = '';
  let keys = { publicKey: '', secretKey: '' };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-curve-'));
    await writeFile(
      join(dir, 'c.json'),
      JSON.stringify({ data: { dataset: 'doublemoon' }, training: { steps: 40, batchSize: 32 } }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('awn keygen writes a keypair file of mode 0600 and will not overwrite it', async () => {
    const file = join(dir, 'cluster.keys');
    const r = await awn(['keygen', '--out', file], 30_000, NO_AUTH);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    keys = JSON.parse(await readFile(file, 'utf8')) as typeof keys;
    assert.match(keys.publicKey, /^.{40}$/);
    assert.match(keys.secretKey, /^.{40}$/);
    assert.doesNotMatch(r.stdout + r.stderr, new RegExp(escapeRegExp(keys.secretKey)));
    assert.equal((await awn(['keygen', '--out', file], 30_000, NO_AUTH)).code, 2);
  });

  it('a key file readable by others is refused; CURVE alone allows a non-loopback bind', async () => {
    const loose = join(dir, 'loose.keys');
    await writeFile(loose, JSON.stringify(curveKeyPair()), { mode: 0o644 });
    const r = await awn(
      [
        'coordinator',
        '--config',
        join(dir, 'c.json'),
        '--port',
        '0',
        '--curve-keys',
        loose,
        '--out',
        join(dir, 'never'),
      ],
      30_000,
      NO_AUTH,
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /must not be readable by group or others/);
    const open = new AwnProcess(
      [
        'coordinator',
        '--config',
        join(dir, 'c.json'),
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--workers',
        '1',
        '--join-timeout',
        '1',
        '--out',
        join(dir, 'open'),
      ],
      { ...NO_AUTH, AWN_CURVE_PUBLIC_KEY: keys.publicKey, AWN_CURVE_SECRET_KEY: keys.secretKey },
    );
    try {
      await open.waitFor(/socket protection: curve[^+]/);
      await open.waitFor(/coordinator listening on tcp:\/\/0\.0\.0\.0:\d+/);
    } finally {
      open.kill();
    }
  });

  it('coordinator and worker with the cluster keys train; another keypair or a plain client gets nothing through; keys never logged', async () => {
    const file = join(dir, 'cluster.keys');
    const coordinator = new AwnProcess(
      [
        'coordinator',
        '--config',
        join(dir, 'c.json'),
        '--port',
        '0',
        '--workers',
        '1',
        '--curve-keys',
        file,
        '--out',
        join(dir, 'run'),
      ],
      NO_AUTH,
    );
    const other = curveKeyPair();
    const outputs: string[] = [];
    try {
      const [, address] = await coordinator.waitFor(/coordinator listening on (tcp:\/\/127\.0\.0\.1:\d+)/);
      assert.match(coordinator.stderr, /socket protection: curve/);

      // A raw DEALER without CURVE, sending garbage the codec would drop and log if it got in.
      const plain = new Dealer({ linger: 0, sendTimeout: 1000 });
      plain.connect(address);
      await plain.send(['garbage']).catch(() => undefined);

      // A worker with its own keypair (knowing the cluster's public key as the server key is not enough).
      const intruder = await awn(['worker', '--coordinator', address, '--join-timeout', '3'], 30_000, {
        ...NO_AUTH,
        AWN_CURVE_PUBLIC_KEY: other.publicKey,
        AWN_CURVE_SECRET_KEY: other.secretKey,
      });
      plain.close();
      outputs.push(intruder.stdout, intruder.stderr);
      assert.equal(intruder.code, 1);
      assert.match(intruder.stderr, /no answer from the coordinator/);
      assert.doesNotMatch(
        coordinator.stderr,
        /dropped a control message|joined/,
        'nothing from the plain client or the intruder reached the coordinator',
      );

      const good = await awn(['worker', '--coordinator', address, '--curve-keys', file], 60_000, NO_AUTH);
      outputs.push(good.stdout, good.stderr);
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stderr, /socket protection: curve/);
      const done = await coordinator.done(60_000);
      outputs.push(done.stdout, done.stderr);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /Finished \S+ after 40 steps on 1 worker: /);
      for (const key of [keys.secretKey, other.secretKey])
        assert.doesNotMatch(outputs.join('\n'), new RegExp(escapeRegExp(key)), 'no secret key in any output');
    } finally {
      coordinator.kill();
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
