import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFileError } from './data-file-error.js';
import { readTable } from './read-table.js';
import { loadTabularSplits } from './tabular-source.js';
import { loadTextSplits, readTextBytes, resolveTextFiles } from './text-source.js';
import { validUtf8Prefix } from './utf8-stream.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'awn-files-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const csv = { format: 'csv' as const, label: 'y', task: 'classification' as const };

async function rejects(
  promise: Promise<unknown>,
  pattern: RegExp,
  where: { line?: number; column?: RegExp },
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DataFileError, String(error));
    assert.match(error.message, pattern);
    assert.equal(error.line, where.line);
    if (where.column) assert.match(error.column ?? '', where.column);
    return true;
  });
}

test('a CSV streams into float32 features and class names, with line numbers per row', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'a.csv');
    await writeFile(file, 'x1,x2,y\n1,2,cat\n\n3.5,-4,dog\n');
    const t = await readTable(file, csv);
    assert.deepEqual(t.features, ['x1', 'x2']);
    assert.deepEqual([...t.x], [1, 2, 3.5, -4]);
    assert.deepEqual(t.classLabels, ['cat', 'dog']);
    assert.deepEqual([...t.lines], [2, 4]);
  });
});

test('bad CSV files name file, line and column', async () => {
  await withDir(async (dir) => {
    const f = (name: string, text: string | Uint8Array) => writeFile(join(dir, name), text).then(() => join(dir, name));
    await rejects(readTable(await f('empty.csv', ''), csv), /empty\.csv: is empty/, {});
    await rejects(readTable(await f('header.csv', 'x,y\n'), csv), /has no data rows/, {});
    await rejects(
      readTable(await f('ragged.csv', 'x1,x2,y\n1,2,a\n1,a\n'), csv),
      /ragged\.csv, line 3: has 2 fields, the header has 3/,
      { line: 3 },
    );
    await rejects(
      readTable(await f('text.csv', 'x1,x2,y\n1,2,a\n1,abc,b\n'), csv),
      /line 3, column 'x2' \(field 2\): "abc" is not a finite number/,
      { line: 3, column: /x2/ },
    );
    await rejects(readTable(await f('blank.csv', 'x1,x2,y\n1,,a\n'), csv), /line 2, column 'x2'/, { line: 2 });
    await rejects(
      readTable(await f('nolabel.csv', 'x1,x2,z\n1,2,a\n'), csv),
      /no label column 'y' \(columns: x1, x2, z\)/,
      { line: 1 },
    );
    const bad = new Uint8Array([...new TextEncoder().encode('x1,y\n1,a\n2,'), 0xff, 0x0a]);
    await rejects(
      readTable(await f('latin.csv', bad), csv),
      /latin\.csv, line 3, column 3: invalid UTF-8 \(byte 0xff\)/,
      { line: 3 },
    );
    await rejects(
      readTable(await f('quote.csv', 'x1,y\n1,a\n"2"z,b\n'), csv),
      /quote\.csv, line 3: is not valid CSV: Invalid Closing Quote/,
      { line: 3 },
    );
    await rejects(
      readTable(join(dir, 'missing.csv'), csv),
      /missing\.csv: no such file on this machine; every worker reads the data itself/,
      {},
    );
  });
});

test('JSON Lines: features from the first object, errors with line and key', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1,"b":2,"y":0.5}\n{"a":3,"b":4,"y":1.5}\n');
    const t = await readTable(file, { format: 'jsonl', label: 'y', task: 'regression' });
    assert.deepEqual([...t.x], [1, 2, 3, 4]);
    assert.deepEqual([...t.targets!], [0.5, 1.5]);
    await writeFile(file, '{"a":1,"b":2,"y":0}\n{"a":"3","b":4,"y":1}\n');
    await rejects(
      readTable(file, { format: 'jsonl', label: 'y', task: 'regression' }),
      /line 2, column 'a': "3" is not a number/,
      { line: 2 },
    );
    await writeFile(file, '{"a":1,"y":0}\n{"a":1,\n');
    await rejects(readTable(file, { format: 'jsonl', label: 'y', task: 'regression' }), /line 2: is not valid JSON/, {
      line: 2,
    });
  });
});

test('tabular splits: seeded and stratified, classes from training only, standardised with training statistics', async () => {
  await withDir(async (dir) => {
    const rows = Array.from({ length: 100 }, (_, i) => `${i},${i % 7},${i % 2 ? 'b' : 'a'}`);
    await writeFile(join(dir, 'train.csv'), `x1,x2,y\n${rows.join('\n')}\n`);
    const options = {
      ...csv,
      name: 'd',
      path: join(dir, 'train.csv'),
      testFraction: 0.2,
      validationFraction: 0.1,
      seed: 3,
      standardize: true,
    };
    const a = await loadTabularSplits(options);
    const b = await loadTabularSplits(options);
    assert.deepEqual([...a.test.x], [...b.test.x]);
    assert.equal(a.test.n, 20);
    assert.equal(a.validation!.n, 8);
    assert.equal(a.train.n, 72);
    assert.deepEqual(a.preprocessing.classes, ['a', 'b']);
    const mean0 = a.train.x.filter((_, i) => i % 2 === 0).reduce((s, v) => s + v, 0) / a.train.n;
    assert.ok(Math.abs(mean0) < 1e-5, `training feature mean after standardising is ${mean0}`);
    // Saved statistics are reused, not refitted: scaling by them reproduces the same numbers.
    const again = await loadTabularSplits({ ...options, preprocessing: a.preprocessing });
    assert.deepEqual([...again.test.x], [...a.test.x]);
    await writeFile(join(dir, 'test.csv'), 'x1,x2,y\n1,2,a\n3,4,c\n');
    await rejects(
      loadTabularSplits({ ...options, testPath: join(dir, 'test.csv') }),
      /test\.csv, line 3: class 'c' does not occur in the training data/,
      { line: 3 },
    );
  });
});

test('text: a file, a directory or a glob; contiguous held-out parts; invalid UTF-8 refused', async () => {
  await withDir(async (dir) => {
    await mkdir(join(dir, 'corpus'));
    await writeFile(join(dir, 'corpus', 'b.txt'), 'second file ✓');
    await writeFile(join(dir, 'corpus', 'a.txt'), 'first file');
    const fromDir = new TextDecoder().decode(await readTextBytes(join(dir, 'corpus')));
    assert.equal(fromDir, 'first file\n\nsecond file ✓');
    assert.deepEqual(await resolveTextFiles(join(dir, 'corpus', '*.txt')), [
      join(dir, 'corpus', 'a.txt'),
      join(dir, 'corpus', 'b.txt'),
    ]);
    await rejects(resolveTextFiles(join(dir, 'corpus', '*.md')), /matches no file on this machine/, {});
    const text = 'abcdefghij'.repeat(100);
    await writeFile(join(dir, 'one.txt'), text);
    const s = await loadTextSplits({
      name: 't',
      path: join(dir, 'one.txt'),
      testFraction: 0.1,
      validationFraction: 0.1,
      sequenceLength: 8,
    });
    assert.equal(s.test.bytes.length, 100);
    assert.equal(s.validation!.bytes.length, 90);
    assert.equal(s.train.bytes.length, 810);
    assert.equal(new TextDecoder().decode(s.test.bytes), text.slice(900));
    await writeFile(join(dir, 'bad.txt'), new Uint8Array([0x61, 0x0a, 0x62, 0xc3, 0x28]));
    await rejects(readTextBytes(join(dir, 'bad.txt')), /bad\.txt, line 2, column 2: invalid UTF-8 \(byte 0xc3\)/, {
      line: 2,
    });
    await writeFile(join(dir, 'empty.txt'), '');
    await rejects(readTextBytes(join(dir, 'empty.txt')), /is empty/, {});
  });
});

test('the UTF-8 check agrees with TextDecoder on valid, invalid and cut sequences', () => {
  const cases = ['plain', 'é', '€', '𝄞', '\uffff'].map((s) => new TextEncoder().encode(s));
  for (const c of cases) assert.deepEqual(validUtf8Prefix(c, true), { valid: c.length, bad: false });
  for (const bad of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x28, 0xa1]]) {
    assert.equal(
      validUtf8Prefix(Uint8Array.from(bad), true).bad,
      true,
      `0x${bad.map((b) => b.toString(16)).join(' 0x')}`,
    );
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bad)));
  }
  // A sequence cut at a chunk boundary is not an error until the file ends there.
  assert.deepEqual(validUtf8Prefix(Uint8Array.from([0x61, 0xe2, 0x82]), false), { valid: 1, bad: false });
  assert.deepEqual(validUtf8Prefix(Uint8Array.from([0x61, 0xe2, 0x82]), true), { valid: 1, bad: true });
});
