import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CheckpointError, type CheckpointProblem } from './errors.js';
import { encodeCheckpoint } from './encode.js';
import { CHECKPOINT_FORMAT_VERSION, decodeCheckpoint, type CheckpointContents } from './format.js';

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

function fromBits(words: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(words).buffer);
}

function small(): CheckpointContents {
  return {
    kind: 'awn-mlp',
    meta: { step: 7, widths: [3, 2] },
    tensors: {
      w: { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 0, -0, 1e-40) },
      lam: { shape: [], data: Float32Array.of(0.25) },
    },
  };
}

function problemOf(fn: () => unknown): CheckpointProblem {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CheckpointError, `expected CheckpointError, got ${String(err)}`);
    assert.match(err.message, /^Checkpoint bad\.awnckpt: /, 'message names the file');
    return err.problem;
  }
  assert.fail('expected a CheckpointError');
}

/** Builds a file around an arbitrary header with a correct checksum, to test header validation alone. */
function forge(header: unknown, dataLength: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((16 + h.length) / 16) * 16;
  const out = new Uint8Array(dataStart + dataLength + 32);
  out.set(new TextEncoder().encode('AWNCKPT\0'));
  new DataView(out.buffer).setUint32(8, 1, true);
  new DataView(out.buffer).setUint32(12, h.length, true);
  out.set(h, 16);
  out.set(
    createHash('sha256')
      .update(out.subarray(0, dataStart + dataLength))
      .digest(),
    dataStart + dataLength,
  );
  return out;
}

test('round trip is bit-for-bit: NaN payloads, -0, infinities, subnormals, scalars, empty tensors', () => {
  const special = fromBits([
    0x7fc00000, 0x7fa00001, 0xffc12345, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x3f800000,
  ]);
  const c: CheckpointContents = {
    kind: 'awn-transformer',
    meta: {
      config: { layers: [{ width: 4, rate: 0.5 }], name: 'é✓' },
      prng: [1, 2, 3, 4294967295],
      cursor: { epoch: 2, offset: 64 },
      flag: true,
      none: null,
    },
    tensors: {
      special: { shape: [2, 4], data: special },
      scalar: { shape: [], data: Float32Array.of(Math.PI) },
      empty: { shape: [0], data: new Float32Array(0) },
      emptyRows: { shape: [3, 0, 5], data: new Float32Array(0) },
      odd: { shape: [1, 3], data: Float32Array.of(1, 2, 3) },
    },
  };
  const bytes = encodeCheckpoint(c);
  const back = decodeCheckpoint(bytes, 'mem');
  assert.equal(back.kind, c.kind);
  assert.deepEqual(back.meta, c.meta);
  assert.deepEqual(Object.keys(back.tensors), Object.keys(c.tensors));
  for (const [name, t] of Object.entries(c.tensors)) {
    assert.deepEqual(back.tensors[name].shape, t.shape);
    assert.deepEqual(bits(back.tensors[name].data), bits(t.data), name);
  }
  // Encoding is deterministic: the same contents give the same bytes.
  assert.deepEqual(encodeCheckpoint(c), bytes);
});

test('many tensors of awkward sizes survive, each blob 16-byte aligned', () => {
  const tensors: CheckpointContents['tensors'] = {};
  for (let i = 0; i < 300; i++) {
    const n = (i * 7) % 13;
    tensors[`layer${i}/w`] = { shape: [n], data: Float32Array.from({ length: n }, (_, k) => i + k / 16) };
  }
  const bytes = encodeCheckpoint({ kind: 'k', meta: {}, tensors });
  const back = decodeCheckpoint(bytes, 'mem');
  assert.equal(Object.keys(back.tensors).length, 300);
  for (const [name, t] of Object.entries(tensors)) assert.deepEqual(bits(back.tensors[name].data), bits(t.data));
  const headerLength = new DataView(bytes.buffer).getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  const dataStart = Math.ceil((16 + headerLength) / 16) * 16;
  assert.equal(dataStart % 16, 0);
  for (const e of header.tensors) assert.equal(e.byteOffset % 16, 0);
  assert.equal(bytes.length, dataStart + header.dataLength + 32);
});

test('decoded tensors do not alias the input bytes', () => {
  const bytes = encodeCheckpoint(small());
  const back = decodeCheckpoint(bytes, 'mem');
  bytes.fill(0);
  assert.equal(back.tensors.w.data[0], 1);
});

test('every single flipped byte is rejected', () => {
  const bytes = encodeCheckpoint(small());
  assert.ok(bytes.length < 400);
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = bytes.slice();
      bad[i] ^= mask;
      const problem = problemOf(() => decodeCheckpoint(bad, 'bad.awnckpt'));
      assert.ok(['magic', 'version', 'truncated', 'corrupt'].includes(problem), `byte ${i}: ${problem}`);
    }
  }
});

test('truncation at every offset is rejected, as truncation once the header is intact', () => {
  const bytes = encodeCheckpoint(small());
  const headerEnd = 16 + new DataView(bytes.buffer).getUint32(12, true);
  for (let cut = 0; cut < bytes.length; cut++) {
    const problem = problemOf(() => decodeCheckpoint(bytes.subarray(0, cut), 'bad.awnckpt'));
    if (cut >= headerEnd || cut < 48) assert.equal(problem, 'truncated', `cut at ${cut}`);
    else assert.ok(problem === 'truncated' || problem === 'corrupt', `cut at ${cut}: ${problem}`);
  }
});

test('wrong magic, newer version, trailing bytes', () => {
  assert.equal(
    problemOf(() => decodeCheckpoint(new TextEncoder().encode('{"not":"a checkpoint"}'), 'bad.awnckpt')),
    'magic',
  );
  const bytes = encodeCheckpoint(small());
  const newer = bytes.slice();
  new DataView(newer.buffer).setUint32(8, CHECKPOINT_FORMAT_VERSION + 1, true);
  assert.throws(
    () => decodeCheckpoint(newer, 'bad.awnckpt'),
    (e: unknown) => e instanceof CheckpointError && e.problem === 'version' && /newer/.test(e.message),
  );
  const longer = new Uint8Array(bytes.length + 16);
  longer.set(bytes);
  assert.throws(() => decodeCheckpoint(longer, 'bad.awnckpt'), /unexpected bytes after the data/);
  assert.throws(
    () => decodeCheckpoint(bytes.subarray(0, bytes.length - 5), 'bad.awnckpt'),
    /truncated: \d+ bytes, the header promises \d+/,
  );
  assert.throws(() => decodeCheckpoint(longer.subarray(1), 'bad.awnckpt'), /wrong magic/);
});

test('a header with a valid checksum but impossible contents is rejected', () => {
  const good = {
    kind: 'k',
    meta: {},
    tensors: [{ name: 'a', dtype: 'float32', shape: [2], byteOffset: 0, byteLength: 8 }],
    dataLength: 16,
  };
  assert.equal(decodeCheckpoint(forge(good, 16), 'x').tensors.a.data.length, 2);
  const cases: Array<[unknown, number, RegExp]> = [
    [{ ...good, tensors: [{ ...good.tensors[0], shape: [3] }] }, 16, /byteLength 8 disagrees with shape \[3\]/],
    [{ ...good, tensors: [{ ...good.tensors[0], dtype: 'float64' }] }, 16, /dtype/],
    [{ ...good, tensors: [{ ...good.tensors[0], byteOffset: 4 }] }, 16, /unaligned/],
    [{ ...good, tensors: [good.tensors[0], good.tensors[0]] }, 16, /appears twice/],
    [{ ...good, tensors: [good.tensors[0], { ...good.tensors[0], name: 'b' }] }, 16, /overlaps/],
    [{ ...good, tensors: [{ ...good.tensors[0], shape: [8], byteLength: 32 }] }, 16, /past the data section/],
    [{ ...good, dataLength: 32 }, 16, /header describes/],
    [{ ...good, kind: '' }, 16, /kind/],
    [{ ...good, meta: [] }, 16, /meta/],
    [{ ...good, tensors: [{ ...good.tensors[0], name: '__proto__' }] }, 16, /not allowed/],
    [[1, 2], 16, /kind/],
  ];
  for (const [header, dataLength, pattern] of cases) {
    assert.throws(
      () => decodeCheckpoint(forge(header, dataLength), 'x'),
      (e: unknown) => e instanceof CheckpointError && e.problem === 'invalid' && pattern.test(e.message),
      String(pattern),
    );
  }
});

test('encoding refuses contents that would not read back as written', () => {
  const cases: Array<[CheckpointContents, RegExp]> = [
    [{ ...small(), kind: '' }, /kind/],
    [
      { ...small(), tensors: { w: { shape: [2, 2], data: new Float32Array(3) } } },
      /tensor 'w' has shape \[2, 2\] \(4 values\) but 3 values/,
    ],
    [{ ...small(), tensors: { w: { shape: [-1], data: new Float32Array(0) } } }, /shape/],
    [
      { ...small(), tensors: { w: { shape: [2], data: new Float64Array(2) as unknown as Float32Array } } },
      /Float32Array/,
    ],
    [{ ...small(), meta: { rates: [0.1, NaN] } }, /meta\.rates\[1\] is NaN/],
    [{ ...small(), meta: { moments: new Float32Array(2) } }, /meta\.moments is a Float32Array/],
    [{ ...small(), meta: { big: 10n } }, /meta\.big is a bigint/],
    [{ ...small(), meta: { list: [1, undefined] } }, /meta\.list\[1\] is undefined/],
  ];
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  cases.push([{ ...small(), meta: cyclic }, /meta\.self refers to itself/]);
  for (const [c, pattern] of cases) {
    assert.throws(
      () => encodeCheckpoint(c, 'out.awnckpt'),
      (e: unknown) => e instanceof CheckpointError && e.problem === 'invalid' && pattern.test(e.message),
      String(pattern),
    );
  }
  // An undefined property is simply absent afterwards, as JSON does.
  assert.deepEqual(decodeCheckpoint(encodeCheckpoint({ ...small(), meta: { a: 1, b: undefined } }), 'm').meta, {
    a: 1,
  });
});
