import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeLine } from './runtime-line.js';

test('the start-up line names backend, BLAS state (and why off), threads, socket protection and world size', () => {
  const on = runtimeLine({
    backend: { name: 'wasm', skipped: [], blas: { enabled: true, threads: 4 } },
    worldSize: 2,
    protection: 'curve+hmac',
  });
  assert.match(on, /^backend wasm, BLAS on \(OpenBLAS, 4 threads\), \d+ CPU threads, CURVE on, HMAC on, world size 2$/);
  const off = runtimeLine({
    backend: { name: 'wasm', skipped: [], blas: { enabled: false, reason: '@awn/kernels-blas is not installed' } },
    worldSize: 1,
    protection: 'none (single process)',
  });
  assert.match(
    off,
    /^backend wasm, BLAS off \(@awn\/kernels-blas is not installed\), \d+ CPU threads, no sockets, world size 1$/,
  );
  const hmac = runtimeLine({
    backend: { name: 'cpu', skipped: [], blas: { enabled: false, reason: 'not used with the cpu backend' } },
    worldSize: 8,
    protection: 'hmac',
  });
  assert.match(hmac, /CURVE off, HMAC on, world size 8$/);
});
