import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AWN_VERSION } from './version.js';

describe('AWN_VERSION', () => {
  it('is the version every workspace package.json declares', () => {
    const read = (path: string) =>
      (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;
    assert.match(AWN_VERSION, /^\d+\.\d+\.\d+/);
    for (const p of ['core', 'protocol', 'collective', 'telemetry'])
      assert.equal(read(`../../${p}/package.json`), AWN_VERSION, p);
    for (const a of ['cli', 'coordinator', 'worker', 'metrics-exporter'])
      assert.equal(read(`../../../apps/${a}/package.json`), AWN_VERSION, a);
  });
});
