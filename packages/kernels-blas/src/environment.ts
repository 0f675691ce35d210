import { readFileSync } from 'node:fs';

/**
 * Process-environment decisions that must be made before libopenblas is loaded: OpenBLAS reads
 * OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS once, in its library constructor, when the dynamic
 * loader maps it in as a dependency of our addon. Assigning process.env in Node calls setenv(3) on
 * the real environment, so setting them here, before require()ing the addon, is early enough.
 */

/** The flags OpenBLAS's SkylakeX kernels use; all must be present to pick them. */
const AVX512_FLAGS = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];

/**
 * OpenBLAS core type to force for a CPU, from the text of /proc/cpuinfo. OpenBLAS 0.3.21 does not
 * recognise some AVX-512 CPUs and falls back to far slower kernels; its SkylakeX kernels run on any
 * CPU with the AVX-512 subsets above. Undefined means: let OpenBLAS detect.
 */
export function coreTypeForCpuinfo(cpuinfo: string): string | undefined {
  const flagsLine = cpuinfo.split('\n').find((line) => /^flags\s*:/.test(line));
  if (!flagsLine) return undefined;
  const flags = new Set(
    flagsLine
      .slice(flagsLine.indexOf(':') + 1)
      .trim()
      .split(/\s+/),
  );
  return AVX512_FLAGS.every((f) => flags.has(f)) ? 'SkylakeX' : undefined;
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ''; // not Linux: let OpenBLAS detect
  }
}

/**
 * BLAS threads per process. Default 1: data-parallel training runs one process per core, and more
 * BLAS threads than cores only adds contention. An explicit option wins over AWN_BLAS_THREADS;
 * anything that is not a positive integer is ignored.
 */
export function resolveThreads(option: number | undefined, envValue: string | undefined): number {
  if (option !== undefined && Number.isInteger(option) && option >= 1) return option;
  const fromEnv = envValue === undefined ? NaN : Number(envValue.trim());
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return fromEnv;
  return 1;
}

/** Sets OPENBLAS_CORETYPE (when unset and the CPU wants it) and OPENBLAS_NUM_THREADS (when unset). */
export function prepareBlasEnvironment(threads: number, env: NodeJS.ProcessEnv = process.env): void {
  if (!env.OPENBLAS_CORETYPE) {
    const coreType = coreTypeForCpuinfo(readCpuinfo());
    if (coreType) env.OPENBLAS_CORETYPE = coreType;
  }
  // Sizes OpenBLAS's thread pool at load, so it does not start one thread per core just to idle.
  if (!env.OPENBLAS_NUM_THREADS) env.OPENBLAS_NUM_THREADS = String(threads);
}
