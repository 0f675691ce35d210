import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreTypeForCpuinfo, prepareBlasEnvironment, resolveThreads } from './environment.js';

const cpu = (flags: string) => `processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: ${flags}\n\n`;

test('AVX-512 (F/CD/BW/DQ/VL) selects SkylakeX; anything less lets OpenBLAS detect', () => {
  assert.equal(coreTypeForCpuinfo(cpu('fpu sse2 avx2 avx512f avx512cd avx512bw avx512dq avx512vl fma')), 'SkylakeX');
  assert.equal(coreTypeForCpuinfo(cpu('fpu sse2 avx2 fma')), undefined);
  assert.equal(coreTypeForCpuinfo(cpu('avx2 avx512f avx512cd')), undefined); // Knights Landing-like subset
  assert.equal(coreTypeForCpuinfo(''), undefined);
});

test('threads: explicit option, then AWN_BLAS_THREADS, then 1; junk ignored', () => {
  assert.equal(resolveThreads(3, '2'), 3);
  assert.equal(resolveThreads(undefined, '2'), 2);
  assert.equal(resolveThreads(undefined, undefined), 1);
  assert.equal(resolveThreads(0, 'x'), 1);
  assert.equal(resolveThreads(1.5, '-2'), 1);
});

test('prepareBlasEnvironment fills only unset variables', () => {
  const env: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Haswell' };
  prepareBlasEnvironment(2, env);
  assert.equal(env.OPENBLAS_CORETYPE, 'Haswell');
  assert.equal(env.OPENBLAS_NUM_THREADS, '2');
  const preset: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Zen', OPENBLAS_NUM_THREADS: '4' };
  prepareBlasEnvironment(1, preset);
  assert.deepEqual(preset, { OPENBLAS_CORETYPE: 'Zen', OPENBLAS_NUM_THREADS: '4' });
});
