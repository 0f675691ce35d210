import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwnProcess, awn } from './helpers.js';

const SECRET = 'a-shared-cluster-secret-of-at-least-32-chars';

describe('cluster authentication (HMAC-SHA256 over every frame)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'awn-sec-'));
    await writeFile(
      join(dir, 'c.json'),
      JSON.stringify({ data: { dataset: 'doublemoon' }, training: { steps: 40, batchSize: 32 } }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('binding beyond loopback without a secret is refused with exit code 2', async () => {
    const r = await awn(
      ['coordinator', '--config', join(dir, 'c.json'), '--host', '0.0.0.0', '--port', '0', '--out', join(dir, 'never')],
      30_000,
      { AWN_CLUSTER_SECRET: '' },
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to bind 0\.0\.0\.0 without authentication: set AWN_CLUSTER_SECRET/);
  });

  it('a worker with the wrong secret is never admitted (its messages are dropped and counted); the right one trains', async () => {
    const coordinator = new AwnProcess(
      ['coordinator', '--config', join(dir, 'c.json'), '--port', '0', '--workers', '1', '--out', join(dir, 'run')],
      { AWN_CLUSTER_SECRET: SECRET },
    );
    try {
      const [, address] = await coordinator.waitFor(/coordinator listening on (tcp:\/\/127\.0\.0\.1:\d+)/);
      const intruder = await awn(['worker', '--coordinator', address, '--join-timeout', '3'], 30_000, {
        AWN_CLUSTER_SECRET: 'x'.repeat(40),
      });
      assert.equal(intruder.code, 1);
      assert.match(intruder.stderr, /no answer from the coordinator/);
      await coordinator.waitFor(/"code":"bad-signature".*dropped a control message/);
      assert.doesNotMatch(coordinator.stderr + intruder.stderr, new RegExp(SECRET), 'the secret never appears in logs');
      const good = await awn(['worker', '--coordinator', address], 60_000, { AWN_CLUSTER_SECRET: SECRET });
      assert.equal(good.code, 0, good.stderr);
      assert.equal((await coordinator.done(60_000)).code, 0);
    } finally {
      coordinator.kill();
    }
  });
});
