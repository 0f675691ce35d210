import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseRunConfig } from './parse-config.js';

function problems(data: Record<string, unknown>, model?: unknown): string[] {
  try {
    parseRunConfig({ data, ...(model ? { model } : {}), training: { steps: 1 } }, 'test');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

test('file data sets need a path, tables a label; file-only fields are refused elsewhere', () => {
  assert.deepEqual(problems({ dataset: 'csv' }), [
    "data.path: data set 'csv' reads your files: give data.path",
    "data.label: data set 'csv' needs data.label, the column holding the target",
  ]);
  assert.deepEqual(problems({ dataset: 'spiral', path: 'x.csv' }), [
    "data.path: only for data sets read from files ('csv', 'jsonl', 'text'), not 'spiral'",
  ]);
  assert.deepEqual(problems({ dataset: 'text', path: 'a.txt', label: 'y' }, { type: 'transformer' }), [
    "data.label: only for data sets 'csv' and 'jsonl', not 'text'",
  ]);
  assert.deepEqual(problems({ dataset: 'jsonl', path: 'a.jsonl', label: 'y', delimiter: ';' }), [
    "data.delimiter: only for data set 'csv', not 'jsonl'",
  ]);
  assert.deepEqual(problems({ dataset: 'text', path: 'a.txt' }), [
    "model.type: text data set 'text' needs model.type 'transformer'",
  ]);
  assert.deepEqual(
    problems({ dataset: 'csv', path: 'a.csv', label: 'y', task: 'regression', features: ['a', 'b'] }),
    [],
  );
});
