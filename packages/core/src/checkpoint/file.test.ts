import { afterEach, beforeEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from './errors.js';
import { encodeCheckpoint } from './encode.js';
import type { CheckpointContents } from './format.js';
import { loadCheckpoint, saveCheckpoint, saveEncodedCheckpoint, verifyCheckpoint } from './file.js';

let dir = '';
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'awn-ckpt-'));
});
afterEach(async () => {
  mock.restoreAll();
  await fsp.rm(dir, { recursive: true, force: true });
});

function contents(step: number): CheckpointContents {
  return {
    kind: 'awn-mlp',
    meta: { step },
    tensors: { w: { shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => step + i) } },
  };
}

function isProblem(problem: CheckpointError['problem'], pattern: RegExp) {
  return (e: unknown) => e instanceof CheckpointError && e.problem === problem && pattern.test(e.message);
}

test('save then load returns the same contents; overwriting replaces them; directories are created', async () => {
  const path = join(dir, 'nested', 'a.awnckpt');
  await saveCheckpoint(path, contents(1));
  assert.deepEqual(await loadCheckpoint(path, { kind: 'awn-mlp' }), contents(1));
  await saveCheckpoint(path, contents(2));
  assert.deepEqual(await loadCheckpoint(path), contents(2));
  assert.deepEqual(await fsp.readdir(join(dir, 'nested')), ['a.awnckpt']);
  assert.deepEqual(new Uint8Array(await fsp.readFile(path)), encodeCheckpoint(contents(2)));
});

test('loading a missing file, a directory, a foreign kind, or a damaged file names the file', async () => {
  const path = join(dir, 'a.awnckpt');
  await assert.rejects(loadCheckpoint(path), isProblem('missing', /a\.awnckpt: does not exist/));
  await assert.rejects(loadCheckpoint(dir), isProblem('io', /is a directory/));
  await saveCheckpoint(path, contents(1));
  await assert.rejects(
    loadCheckpoint(path, { kind: 'awn-transformer' }),
    isProblem('kind', /holds a 'awn-mlp' checkpoint, expected 'awn-transformer'/),
  );
  const bytes = await fsp.readFile(path);
  bytes[bytes.length - 40] ^= 4;
  await fsp.writeFile(path, bytes);
  await assert.rejects(
    loadCheckpoint(path),
    isProblem('corrupt', new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is corrupt`)),
  );
});

test('a directory where the file should go: clear error, neighbours intact, no temp files', async () => {
  const good = join(dir, 'good.awnckpt');
  await saveCheckpoint(good, contents(1));
  const target = join(dir, 'target.awnckpt');
  await fsp.mkdir(target);
  await assert.rejects(saveCheckpoint(target, contents(2)), isProblem('io', /target\.awnckpt: could not be written/));
  assert.ok((await fsp.stat(target)).isDirectory());
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['good.awnckpt', 'target.awnckpt']);
  assert.deepEqual(await loadCheckpoint(good), contents(1));
});

test('a write failing half-way keeps the previous checkpoint and removes the temp file', async () => {
  const path = join(dir, 'a.awnckpt');
  await saveCheckpoint(path, contents(1));
  const before = await fsp.readFile(path);
  const realOpen = fsp.open;
  let failedWrites = 0;
  mock.method(fsp, 'open', async (...args: Parameters<typeof fsp.open>) => {
    const handle = await realOpen.apply(fsp, args);
    if (String(args[0]).endsWith('.tmp')) {
      const realWrite = handle.write.bind(handle) as (
        b: Uint8Array,
        o: number,
        l: number,
        p: number,
      ) => Promise<unknown>;
      (handle as unknown as { write: unknown }).write = async (b: Uint8Array, o: number, l: number, p: number) => {
        await realWrite(b, o, Math.floor(l / 2), p);
        failedWrites++;
        throw Object.assign(new Error('ENOSPC: no space left on device (simulated)'), { code: 'ENOSPC' });
      };
    }
    return handle;
  });
  await assert.rejects(saveCheckpoint(path, contents(2)), isProblem('io', /a\.awnckpt: could not be written.*ENOSPC/));
  mock.restoreAll();
  assert.equal(failedWrites, 1);
  assert.deepEqual(await fsp.readdir(dir), ['a.awnckpt']);
  assert.deepEqual(await fsp.readFile(path), before);
});

test('a failing rename or fsync keeps the previous checkpoint and removes the temp file', async () => {
  const path = join(dir, 'a.awnckpt');
  await saveCheckpoint(path, contents(1));
  mock.method(fsp, 'rename', async () => {
    throw Object.assign(new Error('EXDEV: simulated'), { code: 'EXDEV' });
  });
  await assert.rejects(saveCheckpoint(path, contents(2)), isProblem('io', /EXDEV/));
  mock.restoreAll();
  const realOpen = fsp.open;
  mock.method(fsp, 'open', async (...args: Parameters<typeof fsp.open>) => {
    const handle = await realOpen.apply(fsp, args);
    (handle as unknown as { sync: unknown }).sync = async () => {
      throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
    };
    return handle;
  });
  await assert.rejects(saveCheckpoint(path, contents(3)), isProblem('io', /EIO/));
  mock.restoreAll();
  assert.deepEqual(await fsp.readdir(dir), ['a.awnckpt']);
  assert.deepEqual(await loadCheckpoint(path), contents(1));
});

test('invalid contents are refused before the file system is touched', async () => {
  const path = join(dir, 'sub', 'a.awnckpt');
  const bad = { kind: 'awn-mlp', meta: {}, tensors: { w: { shape: [5], data: new Float32Array(4) } } };
  await assert.rejects(saveCheckpoint(path, bad), isProblem('invalid', /a\.awnckpt: tensor 'w'/));
  assert.deepEqual(await fsp.readdir(dir), []);
});

test('tensors read on demand are saved and encoded to the very bytes of stored ones', async () => {
  const stored = contents(3);
  let reads = 0;
  const lazy = {
    ...stored,
    tensors: {
      w: {
        shape: [3, 4],
        read: (out: Float32Array) => {
          reads++;
          out.set(stored.tensors.w.data);
        },
      },
      empty: { shape: [0], read: () => undefined },
    },
  };
  const withEmpty = { ...stored, tensors: { ...stored.tensors, empty: { shape: [0], data: new Float32Array(0) } } };
  const path = join(dir, 'lazy.awnckpt');
  await saveCheckpoint(path, lazy);
  assert.deepEqual(new Uint8Array(await fsp.readFile(path)), encodeCheckpoint(withEmpty));
  assert.deepEqual(encodeCheckpoint(lazy), encodeCheckpoint(withEmpty));
  assert.equal(reads, 2, 'each source is read once per write');
  assert.deepEqual(await loadCheckpoint(path), withEmpty);
});

test('verifyCheckpoint streams the file and refuses what loadCheckpoint refuses, with the same problem', async () => {
  const path = join(dir, 'v.awnckpt');
  await assert.rejects(verifyCheckpoint(path), isProblem('missing', /does not exist/));
  await saveCheckpoint(path, contents(4));
  assert.equal(await verifyCheckpoint(path, { kind: 'awn-mlp' }), 'awn-mlp');
  await assert.rejects(
    verifyCheckpoint(path, { kind: 'awn-transformer' }),
    isProblem('kind', /expected 'awn-transformer'/),
  );
  const good = new Uint8Array(await fsp.readFile(path));
  const damaged: [string, Uint8Array][] = [
    ['flipped', Uint8Array.from(good, (b, i) => (i === good.length - 40 ? b ^ 4 : b))],
    ['truncated', good.subarray(0, good.length - 7)],
    ['trailing', Uint8Array.from([...good, 0, 0, 0, 0])],
    ['magic', Uint8Array.from(good, (b, i) => (i === 0 ? 0 : b))],
    ['tiny', good.subarray(0, 20)],
  ];
  for (const [what, bytes] of damaged) {
    await fsp.writeFile(path, bytes);
    const loaded = await loadCheckpoint(path).then(
      () => assert.fail(`${what}: loadCheckpoint accepted it`),
      (e: CheckpointError) => e,
    );
    await assert.rejects(verifyCheckpoint(path), (e: unknown) => {
      assert.ok(e instanceof CheckpointError, what);
      assert.equal(e.problem, loaded.problem, `${what}: ${e.message} vs ${loaded.message}`);
      assert.equal(e.message, loaded.message, what);
      return true;
    });
  }
});

test('saveEncodedCheckpoint writes verified bytes as they are and refuses damaged ones, keeping the old file', async () => {
  const path = join(dir, 'e.awnckpt');
  const bytes = encodeCheckpoint(contents(5));
  await saveEncodedCheckpoint(path, bytes, 'state from rank 0');
  assert.deepEqual(new Uint8Array(await fsp.readFile(path)), bytes);
  const bad = bytes.slice();
  bad[bad.length - 40] ^= 1;
  await assert.rejects(
    saveEncodedCheckpoint(path, bad, 'state from rank 0'),
    isProblem('corrupt', /state from rank 0/),
  );
  assert.deepEqual(new Uint8Array(await fsp.readFile(path)), bytes);
  assert.deepEqual(await fsp.readdir(dir), ['e.awnckpt']);
});
