import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awn, root } from './cli-harness.test.util.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'awn-own-data-'));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

test('awn train on the example CSV learns it, saves the training statistics, and eval reuses them', async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, 'run');
    const r = await awn(['train', '--config', 'examples/csv.json', '--steps', '200', '--backend', 'cpu', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    assert.ok(summary.test.accuracy > 0.85, `test accuracy ${summary.test.accuracy}`);
    const pre = JSON.parse(await readFile(join(out, 'preprocessing.json'), 'utf8'));
    assert.deepEqual(pre.classes, ['adelie', 'chinstrap', 'gentoo']);
    assert.equal(pre.standardizer.mean.length, 4);
    const config = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    assert.equal(config.data.path, join(root, 'examples/data/penguins-like.csv'));
    const e = await awn(['eval', out, '--json']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).scores.accuracy, summary.test.accuracy);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('awn train on a text glob trains the Transformer byte-level', async () => {
  const dir = await tempDir();
  try {
    const out = join(dir, 'run');
    const r = await awn(['train', '--config', 'examples/text.json', '--steps', '20', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    // Untrained bytes cost 8 bits; 20 steps already learn the byte frequencies.
    assert.ok(summary.test.bitsPerByte > 0 && summary.test.bitsPerByte < 7, `bits/byte ${summary.test.bitsPerByte}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad data files: exit 2, a message naming file, line and column, and nothing written', async () => {
  const dir = await tempDir();
  try {
    const cases: { name: string; bytes: string | Uint8Array; label?: string; expect: RegExp }[] = [
      { name: 'empty.csv', bytes: '', expect: /empty\.csv: is empty/ },
      {
        name: 'ragged.csv',
        bytes: 'a,b,y\n1,2,x\n3,x\n',
        expect: /ragged\.csv, line 3: has 2 fields, the header has 3/,
      },
      {
        name: 'cells.csv',
        bytes: 'a,b,y\n1,2,x\n3,four,z\n',
        expect: /cells\.csv, line 3, column 'b' \(field 2\): "four" is not a finite number/,
      },
      { name: 'label.csv', bytes: 'a,b,c\n1,2,x\n', expect: /label\.csv, line 1: no label column 'y'/ },
      {
        name: 'bytes.csv',
        bytes: Uint8Array.from([...new TextEncoder().encode('a,y\n1,x\n'), 0x32, 0xe9, 0x2c, 0x78, 0x0a]),
        expect: /bytes\.csv, line 3, column 2: invalid UTF-8/,
      },
    ];
    for (const c of cases) {
      await writeFile(join(dir, c.name), c.bytes);
      const config = { name: 'bad', data: { dataset: 'csv', path: c.name, label: 'y' }, training: { steps: 5 } };
      await writeFile(join(dir, `${c.name}.json`), JSON.stringify(config));
      const out = join(dir, `out-${c.name}`);
      const r = await awn(['train', '--config', join(dir, `${c.name}.json`), '--out', out, '--backend', 'cpu']);
      assert.equal(r.code, 2, `${c.name}: ${r.stderr}`);
      assert.match(r.stderr, c.expect, c.name);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${c.name}: no stack trace`);
      assert.equal(await exists(out), false, `${c.name}: the run directory must not be created`);
    }
    const text = {
      name: 'bad-text',
      data: { dataset: 'text', path: 'bytes.csv' },
      model: { type: 'transformer' },
      training: { steps: 5 },
    };
    await writeFile(join(dir, 'text.json'), JSON.stringify(text));
    const r = await awn(['train', '--config', join(dir, 'text.json'), '--out', join(dir, 'out-text')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bytes\.csv, line 3, column 2: invalid UTF-8 \(byte 0xe9\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
