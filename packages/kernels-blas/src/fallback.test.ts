import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blasAvailable } from './index.js';
import { coreTypeForCpuinfo } from './environment.js';
import { OP_KERNELS } from './register.js';

const child = fileURLToPath(new URL('./test-child.js', import.meta.url));
const avail = blasAvailable();
const skip = avail.available ? false : `OpenBLAS addon unavailable: ${avail.reason}`;

interface ChildReport {
  registration: { enabled: boolean; reason?: string; coreType?: string; threads: number };
  status: { kernels: string[] };
  product: number[][];
  env: { coreType: string | null; numThreads: string | null };
}

/** Runs the child with a clean AWN_/OPENBLAS_ environment plus `extra`. */
function runChild(extra: Record<string, string>): ChildReport {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWN_') && !key.startsWith('OPENBLAS_')) env[key] = value;
  }
  const res = spawnSync(process.execPath, [child], { env: { ...env, ...extra }, encoding: 'utf8' });
  assert.equal(res.status, 0, `child failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as ChildReport;
}

const NT_PRODUCT = [
  [4, 2],
  [10, 5],
];

test("AWN_DISABLE_BLAS=1: registration reports disabled and wasm's own kernel still answers", () => {
  const r = runChild({ AWN_DISABLE_BLAS: '1' });
  assert.deepEqual(r.registration, { enabled: false, reason: 'disabled', threads: 0 });
  assert.deepEqual(r.status.kernels, []);
  assert.deepEqual(r.product, NT_PRODUCT);
});

test("a missing addon is reported, not thrown, and wasm's kernel answers", () => {
  const r = runChild({ AWN_BLAS_ADDON_PATH: '/nonexistent/awn_blas.node' });
  assert.equal(r.registration.enabled, false);
  assert.match(r.registration.reason ?? '', /addon not built .*libopenblas-dev/);
  assert.deepEqual(r.status.kernels, []);
  assert.deepEqual(r.product, NT_PRODUCT);
});

test('an addon the loader rejects is reported, not thrown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'awn-blas-'));
  try {
    const junk = join(dir, 'awn_blas.node');
    writeFileSync(junk, 'not a shared object');
    const r = runChild({ AWN_BLAS_ADDON_PATH: junk });
    assert.equal(r.registration.enabled, false);
    assert.match(r.registration.reason ?? '', /addon failed to load/);
    assert.deepEqual(r.product, NT_PRODUCT);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with the addon: core type chosen from the CPU, AWN_BLAS_THREADS applied before load', { skip }, () => {
  const r = runChild({ AWN_BLAS_THREADS: '2' });
  assert.equal(r.registration.enabled, true);
  assert.equal(r.registration.threads, 2);
  assert.equal(r.env.numThreads, '2');
  assert.equal(r.env.coreType, coreTypeForCpuinfo(readFileSync('/proc/cpuinfo', 'utf8')) ?? null);
  assert.ok(r.registration.coreType);
  assert.deepEqual(r.status.kernels.sort(), ['BatchMatMul', '_FusedMatMul', ...OP_KERNELS].sort());
  assert.deepEqual(r.product, NT_PRODUCT);
});

test('with the addon: a preset OPENBLAS_CORETYPE is respected', { skip }, () => {
  const r = runChild({ OPENBLAS_CORETYPE: 'Haswell' });
  assert.equal(r.registration.enabled, true);
  assert.equal(r.registration.coreType, 'Haswell');
  assert.equal(r.registration.threads, 1);
  assert.deepEqual(r.product, NT_PRODUCT);
});
