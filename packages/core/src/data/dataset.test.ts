import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DatasetError,
  classCounts,
  selectRows,
  validateDataset,
  type ClassificationDataset,
  type RegressionDataset,
} from './dataset.js';

function cls(): ClassificationDataset {
  return {
    name: 'toy',
    task: 'classification',
    inputDim: 2,
    numClasses: 3,
    outputDim: 3,
    n: 3,
    x: Float32Array.of(0, 1, 2, 3, 4, 5),
    y: Int32Array.of(0, 2, 1),
  };
}
function reg(): RegressionDataset {
  return {
    name: 'reg',
    task: 'regression',
    inputDim: 1,
    outputDim: 2,
    n: 2,
    x: Float32Array.of(1, 2),
    y: Float32Array.of(1, 2, 3, 4),
  };
}

function rejects(ds: unknown, field: string): void {
  assert.throws(
    () => validateDataset(ds as ClassificationDataset),
    (e: unknown) => e instanceof DatasetError && e.field === field && e.message.includes(`'${field}'`),
    `expected an error naming ${field}`,
  );
}

test('valid data sets pass and are returned unchanged', () => {
  const a = cls();
  assert.equal(validateDataset(a), a);
  const b = reg();
  assert.equal(validateDataset(b), b);
});

test('every kind of disagreement names its field', () => {
  rejects({ ...cls(), name: '' }, 'name');
  rejects({ ...cls(), task: 'ranking' }, 'task');
  rejects({ ...cls(), n: 4 }, 'x');
  rejects({ ...cls(), n: -1 }, 'n');
  rejects({ ...cls(), inputDim: 0 }, 'inputDim');
  rejects({ ...cls(), inputDim: 1.5 }, 'inputDim');
  rejects({ ...cls(), x: Array.from(cls().x) }, 'x');
  rejects({ ...cls(), x: Float32Array.of(0, 1, 2, 3, 4) }, 'x');
  rejects({ ...cls(), x: Float32Array.of(0, 1, 2, NaN, 4, 5) }, 'x[1][1]');
  rejects({ ...cls(), x: Float32Array.of(0, 1, 2, 3, Infinity, 5) }, 'x[2][0]');
  rejects({ ...cls(), outputDim: 2 }, 'outputDim');
  rejects({ ...cls(), numClasses: 0, outputDim: 0 }, 'outputDim');
  rejects({ ...cls(), y: Float32Array.of(0, 1, 2) }, 'y');
  rejects({ ...cls(), y: Int32Array.of(0, 1) }, 'y');
  rejects({ ...cls(), y: Int32Array.of(0, 3, 1) }, 'y[1]');
  rejects({ ...cls(), y: Int32Array.of(0, 1, -1) }, 'y[2]');
  rejects({ ...reg(), y: Float32Array.of(1, 2, 3) }, 'y');
  rejects({ ...reg(), y: Int32Array.of(1, 2, 3, 4) }, 'y');
  rejects({ ...reg(), y: Float32Array.of(1, 2, 3, -Infinity) }, 'y[1][1]');
  rejects({ ...reg(), numClasses: 2 }, 'numClasses');
});

test('error message names the data set', () => {
  assert.throws(() => validateDataset({ ...cls(), name: 'mine', n: 9 }), /Dataset 'mine': field 'x'/);
});

test('selectRows copies rows in the given order and owns its memory', () => {
  const a = cls();
  const s = selectRows(a, [2, 0, 2], 'picked');
  assert.deepEqual(Array.from(s.x), [4, 5, 0, 1, 4, 5]);
  assert.deepEqual(Array.from(s.y), [1, 0, 1]);
  assert.equal(s.n, 3);
  assert.equal(s.name, 'picked');
  s.x[0] = 99;
  assert.equal(a.x[4], 4);
  const r = selectRows(reg(), [1], 'r1');
  assert.deepEqual(Array.from(r.y), [3, 4]);
  assert.throws(() => selectRows(a, [3], 'bad'), /index 3/);
  assert.deepEqual(classCounts(a), [1, 1, 1]);
});
