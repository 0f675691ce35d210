import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doubleMoon, spiral, spiralHard } from './synthetic.js';
import { classCounts, type ClassificationDataset } from './dataset.js';

function rows(ds: ClassificationDataset, cls: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < ds.n; i++) if (ds.y[i] === cls) out.push([ds.x[2 * i], ds.x[2 * i + 1]]);
  return out;
}

test('paper defaults: sizes and class balance', () => {
  for (const [ds, per] of [
    [doubleMoon(1), 2500],
    [spiral(1), 2500],
    [spiralHard(1), 5000],
  ] as const) {
    assert.equal(ds.n, 2 * per);
    assert.equal(ds.inputDim, 2);
    assert.equal(ds.numClasses, 2);
    assert.deepEqual(classCounts(ds), [per, per]);
  }
});

test('DoubleMoon class 0 lies near the upper half circle of radius 10 about (-5, 0); class 1 on the reflected moon', () => {
  const ds = doubleMoon(3);
  let sum0 = 0;
  let sum1 = 0;
  for (const [u, v] of rows(ds, 0)) {
    const d = Math.hypot(u + 5, v) - 10;
    assert.ok(Math.abs(d) < 0.3 * 6, `distance from circle ${d}`);
    assert.ok(v > -0.3 * 6);
    sum0 += d * d;
  }
  for (const [u, v] of rows(ds, 1)) {
    const d = Math.hypot(u - 5, v - 5) - 10;
    assert.ok(Math.abs(d) < 0.3 * 6);
    assert.ok(v < 5 + 0.3 * 6);
    sum1 += d * d;
  }
  // Radial residual std is about the noise std 0.3.
  const rms0 = Math.sqrt(sum0 / 2500);
  const rms1 = Math.sqrt(sum1 / 2500);
  assert.ok(rms0 > 0.25 && rms0 < 0.35, `rms ${rms0}`);
  assert.ok(rms1 > 0.25 && rms1 < 0.35, `rms ${rms1}`);
});

test('DoubleMoon without noise: exact circles and angles spread over [0, π]', () => {
  const ds = doubleMoon(4, { noise: 0, pointsPerClass: 400, radius: 2 });
  for (const [u, v] of rows(ds, 0)) assert.ok(Math.abs(Math.hypot(u + 1, v) - 2) < 1e-5 && v >= -1e-6);
  for (const [u, v] of rows(ds, 1)) assert.ok(Math.abs(Math.hypot(u - 1, v - 1) - 2) < 1e-5 && v <= 1 + 1e-6);
  const angles = rows(ds, 0).map(([u, v]) => Math.atan2(v, u + 1));
  assert.ok(Math.min(...angles) < 0.1 && Math.max(...angles) > Math.PI - 0.1);
});

/** Noise-free spiral points satisfy p = sign·scale·(−t cos t, t sin t) with t = |p| / scale. */
function checkSpiral(ds: ClassificationDataset, scale: number, maxT: number): void {
  let largest = 0;
  for (let i = 0; i < ds.n; i++) {
    const sign = ds.y[i] === 0 ? 1 : -1;
    const u = (sign * ds.x[2 * i]) / scale;
    const v = (sign * ds.x[2 * i + 1]) / scale;
    const t = Math.hypot(u, v); // radius equals the angle parameter: it grows with the angle
    assert.ok(t <= maxT + 1e-4);
    assert.ok(
      Math.abs(u + t * Math.cos(t)) < 1e-4 && Math.abs(v - t * Math.sin(t)) < 1e-4,
      `point ${i} off the spiral`,
    );
    largest = Math.max(largest, t);
  }
  assert.ok(largest > 0.95 * maxT, `spiral should reach t close to ${maxT}, got ${largest}`);
}

test('Spiral: radius equals the angle parameter, up to 4π; class 1 is the negated curve', () => {
  checkSpiral(spiral(5, { noise: 0, pointsPerClass: 500 }), 1, 4 * Math.PI);
});

test('SpiralHard: four turns (t up to 8π) with every coordinate halved', () => {
  const ds = spiralHard(5, { noise: 0, pointsPerClass: 500 });
  checkSpiral(ds, 0.5, 8 * Math.PI);
  let maxAbs = 0;
  for (const v of ds.x) maxAbs = Math.max(maxAbs, Math.abs(v));
  assert.ok(maxAbs <= 4 * Math.PI + 1e-4 && maxAbs > 3 * Math.PI);
});

test('Spiral with noise stays within a few noise stds of the curve radius', () => {
  const ds = spiral(6, { pointsPerClass: 300 });
  for (let i = 0; i < ds.n; i++) assert.ok(Math.hypot(ds.x[2 * i], ds.x[2 * i + 1]) < 4 * Math.PI + 6 * 0.3);
});

test('same seed gives identical data, different seeds differ', () => {
  for (const gen of [doubleMoon, spiral, spiralHard]) {
    const a = gen(7, { pointsPerClass: 50 });
    const b = gen(7, { pointsPerClass: 50 });
    const c = gen(8, { pointsPerClass: 50 });
    assert.deepEqual(a.x, b.x);
    assert.deepEqual(a.y, b.y);
    assert.notDeepEqual(a.x, c.x);
  }
});

test('bad options are refused', () => {
  assert.throws(() => spiral(1, { pointsPerClass: 0 }), /pointsPerClass/);
  assert.throws(() => spiral(1, { noise: -1 }), /noise/);
  assert.throws(() => doubleMoon(1, { radius: 0 }), /radius/);
  assert.throws(() => spiralHard(0.5), /seed/);
});
