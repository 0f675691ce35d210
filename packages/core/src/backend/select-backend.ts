import * as tf from '@tensorflow/tfjs-core';
import '../ops/register-gradients.js';
import { setTransposeStrategy } from '../ops/matmul.js';
import { setHostKernels, type HostKernels } from '../optim/host-kernels.js';
import { formatBytes, WASM_HEAP_BYTES } from './memory-estimate.js';

/** Backends a user may ask for; 'auto' picks the fastest that loads. */
export const BACKEND_NAMES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
/** A backend name as users write it (`--backend`, config `backend`). */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What was chosen, and why the faster ones were not. */
export interface BackendInfo {
  /** The tfjs backend now active ('tensorflow', 'wasm' or 'cpu'). */
  name: Exclude<BackendName, 'auto'>;
  /** Which package provided the native backend, when it is 'tensorflow'. */
  nativePackage?: string;
  /** Backends tried before this one, with the reason each was skipped. */
  skipped: { name: string; reason: string }[];
  /** The native kernels of @awn/kernels-blas (OpenBLAS matMul + op kernels) on wasm or cpu. */
  blas: BlasInfo;
}

/** Whether the native kernels serve the active backend, and why not when they don't. */
export interface BlasInfo {
  enabled: boolean;
  reason?: string;
  threads?: number;
  coreType?: string;
}

/** Options of {@link selectBackend}. */
export interface BackendOptions {
  /**
   * Bytes the run needs in the tensor engine at once (estimateTrainingMemory's engineBytes). With
   * 'auto', more than 3/4 of the wasm heap (4 GiB) skips wasm for cpu: the same native kernels,
   * tensors in ordinary memory. Smaller runs keep wasm, which measured as fast or faster there.
   */
  engineBytes?: number;
  /** Use @awn/kernels-blas's native kernels on wasm or cpu when it is installed (default true; AWN_DISABLE_BLAS=1 turns it off). */
  blas?: boolean;
}

/** Minimal logger interface so core needs no logging library. */
export interface BackendLogger {
  info(obj: object, msg: string): void;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/**
 * Why a native package did not load, covering both ways it fails: the package is absent
 * (MODULE_NOT_FOUND / ERR_MODULE_NOT_FOUND), or present without its compiled addon (its
 * install step downloads libtensorflow, which fails without that network access).
 */
function describeLoadFailure(pkg: string, error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if ((code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && message.includes(pkg))
    return `${pkg} is not installed`;
  return `${pkg} is installed but did not load (${message})`;
}

async function tryNative(skipped: BackendInfo['skipped']): Promise<string | undefined> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow')) return pkg;
      skipped.push({ name: pkg, reason: `${pkg} loaded but registered no 'tensorflow' backend` });
    } catch (error) {
      skipped.push({ name: pkg, reason: describeLoadFailure(pkg, error) });
    }
  }
  return undefined;
}

/**
 * Registers the optional native kernels (OpenBLAS matMul + op kernels) for wasm or cpu. The
 * package is imported by a computed name so that @awn/core builds and installs without it (it is
 * an optional dependency).
 */
async function enableBlas(wanted: boolean, backend: 'wasm' | 'cpu'): Promise<BlasInfo> {
  const pkg = '@awn/kernels-blas';
  let mod: {
    registerBlasKernels: (o?: { backend?: 'wasm' | 'cpu' }) => BlasInfo;
    unregisterBlasKernels: (backend?: 'wasm' | 'cpu') => void;
    hostKernels?: () => HostKernels | undefined;
  };
  try {
    mod = (await import(pkg)) as typeof mod;
  } catch (error) {
    return { enabled: false, reason: wanted ? describeLoadFailure(pkg, error) : 'disabled by option' };
  }
  if (!wanted) {
    // An earlier selectBackend may have registered them: the backend's own kernels are what was asked for.
    mod.unregisterBlasKernels(backend);
    setHostKernels(undefined);
    return { enabled: false, reason: 'disabled by option' };
  }
  const r = mod.registerBlasKernels({ backend });
  // The optimizers' update in C as well (optim/host-kernels.ts).
  setHostKernels(r.enabled ? mod.hostKernels?.() : undefined);
  return { enabled: r.enabled, reason: r.reason, threads: r.threads, coreType: r.coreType };
}

async function activate(name: 'tensorflow' | 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
}

/**
 * Activates a TensorFlow.js backend: 'tensorflow' when @tensorflow/tfjs-node-gpu or
 * @tensorflow/tfjs-node loads, else 'wasm', else 'cpu' (for 'auto'); a named backend must load
 * or this throws. Logs the choice when a logger is given.
 */
export async function selectBackend(
  requested: BackendName = 'auto',
  logger?: BackendLogger,
  options: BackendOptions = {},
): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(requested)) {
    throw new RangeError(`unknown backend '${String(requested)}' (expected one of ${BACKEND_NAMES.join(', ')})`);
  }
  // PROD silences tfjs's "install the node backend" banner and its debug checks.
  tf.env().set('PROD', true);
  const skipped: BackendInfo['skipped'] = [];
  setHostKernels(undefined); // enableBlas installs them again when the addon loads
  let info: BackendInfo | undefined;
  if (requested === 'auto' || requested === 'tensorflow') {
    const pkg = await tryNative(skipped);
    if (pkg) {
      await activate('tensorflow');
      info = {
        name: 'tensorflow',
        nativePackage: pkg,
        skipped,
        blas: { enabled: false, reason: 'not used with the tensorflow backend' },
      };
    } else if (requested === 'tensorflow') {
      throw new Error(`backend 'tensorflow' is not available: ${skipped.map((s) => s.reason).join('; ')}`);
    }
  }
  for (const candidate of ['wasm', 'cpu'] as const) {
    if (info) break;
    if (requested !== 'auto' && requested !== candidate) continue;
    if (requested === 'auto' && candidate === 'wasm' && (options.engineBytes ?? 0) > 0.75 * WASM_HEAP_BYTES) {
      skipped.push({
        name: 'wasm',
        reason: `the run needs about ${formatBytes(options.engineBytes!)} of tensors at once, too close to the wasm heap's 4 GiB`,
      });
      continue;
    }
    try {
      await activate(candidate);
      const blas = await enableBlas(options.blas ?? true, candidate);
      info = { name: candidate, skipped, blas };
    } catch (error) {
      if (requested === candidate) throw error;
      skipped.push({ name: candidate, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  if (!info)
    throw new Error(`no TensorFlow.js backend could be initialised: ${skipped.map((s) => s.reason).join('; ')}`);
  setTransposeStrategy(info.name === 'wasm' && !info.blas.enabled ? 'explicit' : 'native');
  logger?.info(
    { backend: info.name, nativePackage: info.nativePackage, skipped: info.skipped, blas: info.blas },
    `tensor backend: ${info.name}${info.blas.enabled ? ' + native kernels (OpenBLAS)' : ''}`,
  );
  return info;
}
