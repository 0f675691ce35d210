// Fallback coverage for the whole package: real @awn/core Transformer training steps in child
// processes with the addon disabled (AWN_DISABLE_BLAS=1), with only the OpenBLAS matMuls
// (AWN_BLAS_OPS=0) and with everything on, which must all agree within float32 tolerance.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blasAvailable } from './index.js';
import { OP_KERNELS } from './register.js';

const child = fileURLToPath(new URL('./test-core-step.js', import.meta.url));

interface Report {
  unavailable?: string;
  blas: { enabled: boolean; reason?: string };
  kernels: string[];
  losses: number[];
  params: Record<string, number[]>;
}

function runChild(extra: Record<string, string>): Report {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWN_')) env[key] = value;
  const res = spawnSync(process.execPath, [child], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(res.status, 0, `child failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as Report;
}

/** Relative 1e-3 against max(1e-2, |b|) (plain SGD: Adam would amplify the rounding of near-zero gradients). */
function assertNear(a: number[], b: number[], label: string): void {
  assert.equal(a.length, b.length, `${label}: length`);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) / Math.max(1e-2, Math.abs(b[i]));
    assert.ok(err <= 1e-3, `${label}[${i}]: ${a[i]} vs ${b[i]} (relative ${err})`);
  }
}

test('core Transformer training steps agree with the addon disabled, matMul only, and fully on', async (t) => {
  const off = runChild({ AWN_DISABLE_BLAS: '1' });
  if (off.unavailable) {
    t.skip(`@awn/core not built: ${off.unavailable}`);
    return;
  }
  assert.deepEqual(off.blas.enabled, false);
  assert.equal(off.blas.reason, 'disabled');
  assert.deepEqual(off.kernels, [], 'AWN_DISABLE_BLAS=1 replaces nothing');
  assert.ok(off.losses.every(Number.isFinite));
  const avail = blasAvailable();
  if (!avail.available) {
    t.diagnostic(`addon unavailable (${avail.reason}): only the fallback run was checked`);
    return;
  }
  const matmulOnly = runChild({ AWN_BLAS_OPS: '0' });
  const on = runChild({});
  assert.equal(on.blas.enabled, true);
  assert.deepEqual(matmulOnly.kernels.sort(), ['BatchMatMul', '_FusedMatMul']);
  assert.deepEqual(on.kernels.sort(), ['BatchMatMul', '_FusedMatMul', ...OP_KERNELS].sort());
  for (const [label, run] of [
    ['matMul only', matmulOnly],
    ['all on', on],
  ] as const) {
    assertNear(run.losses, off.losses, `${label}: losses`);
    assert.deepEqual(Object.keys(run.params), Object.keys(off.params));
    for (const name of Object.keys(off.params)) assertNear(run.params[name], off.params[name], `${label}: ${name}`);
  }
});
