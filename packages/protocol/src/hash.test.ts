import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, configHash, widthHash } from './hash.js';

describe('canonical JSON and config hash', () => {
  it('ignores key order and undefined members', () => {
    const a = { lr: 0.01, model: { widths: [3, 4], act: 'relu' }, extra: undefined };
    const b = { model: { act: 'relu', widths: [3, 4] }, lr: 0.01 };
    assert.equal(canonicalJson(a), '{"lr":0.01,"model":{"act":"relu","widths":[3,4]}}');
    assert.equal(configHash(a), configHash(b));
    assert.match(configHash(a), /^[0-9a-f]{64}$/);
  });

  it('changes with any value, and with array order', () => {
    const base = configHash({ lr: 0.01, widths: [3, 4] });
    assert.notEqual(configHash({ lr: 0.02, widths: [3, 4] }), base);
    assert.notEqual(configHash({ lr: 0.01, widths: [4, 3] }), base);
    assert.notEqual(configHash({ lr: '0.01', widths: [3, 4] }), base);
  });

  it('refuses values without a JSON form', () => {
    assert.throws(() => canonicalJson({ x: NaN }), /\$\.x/);
    assert.throws(() => canonicalJson({ f: () => 1 }), TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.throws(() => canonicalJson(cyclic), /circular/);
  });
});

describe('width hash', () => {
  it('is a 32-bit unsigned integer, stable for equal widths', () => {
    const h = widthHash([64, 32, 10]);
    assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
    assert.equal(widthHash([64, 32, 10]), h);
  });

  it('distinguishes a changed width, an order swap, and a trailing zero width', () => {
    const seen = new Set([
      widthHash([64, 32, 10]),
      widthHash([64, 31, 10]),
      widthHash([32, 64, 10]),
      widthHash([64, 32, 10, 0]),
      widthHash([]),
    ]);
    assert.equal(seen.size, 5);
  });

  it('refuses non-integer widths', () => {
    assert.throws(() => widthHash([1.5]), RangeError);
    assert.throws(() => widthHash([-1]), RangeError);
  });
});
