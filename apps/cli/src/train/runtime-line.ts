import { availableParallelism } from 'node:os';
import type { BackendInfo } from '@awn/core';

/** What a run uses, as the one start-up line every `awn train` prints. */
export interface RuntimeFacts {
  backend: BackendInfo;
  worldSize: number;
  /** Socket protection: 'none (single process)' without sockets. */
  protection: string;
}

/**
 * "backend wasm, BLAS on (OpenBLAS, 2 threads), CURVE off, HMAC off, 2 workers": so a user sees
 * at once whether the fast path is in use and, when it is not, why.
 */
export function runtimeLine(f: RuntimeFacts): string {
  const b = f.backend;
  const blas = b.blas.enabled
    ? `BLAS on (OpenBLAS${b.blas.threads ? `, ${b.blas.threads} threads` : ''})`
    : `BLAS off (${b.blas.reason ?? 'not available'})`;
  const curve = /curve/.test(f.protection) ? 'on' : 'off';
  const hmac = /hmac/.test(f.protection) ? 'on' : 'off';
  const sockets = f.protection.startsWith('none (single') ? 'no sockets' : `CURVE ${curve}, HMAC ${hmac}`;
  return `backend ${b.name}${b.nativePackage ? ` (${b.nativePackage})` : ''}, ${blas}, ${availableParallelism()} CPU threads, ${sockets}, world size ${f.worldSize}`;
}
