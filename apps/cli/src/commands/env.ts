import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism, cpus, platform, arch } from 'node:os';
import type { Command } from 'commander';
import { capability } from 'zeromq';
import { selectBackend, type BackendInfo } from '@awn/core';
import { table } from './scoring.js';

const require = createRequire(import.meta.url);

/** A package's version as installed here, or why it is not. */
function installed(name: string): string {
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
      ? 'not installed'
      : `unusable (${(error as Error).message})`;
  }
  // Packages with an `exports` map hide package.json: find it above the entry point.
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown version';
    } catch {
      // no package.json at this level
    }
  }
  return 'installed (version unknown)';
}

/** What a user must do to get the OpenBLAS fast path, given why it is off. */
function blasAdvice(b: BackendInfo): string {
  if (b.blas.enabled) return 'in use';
  if (process.env.AWN_DISABLE_BLAS === '1') return 'turned off by AWN_DISABLE_BLAS=1: unset it';
  if (b.name !== 'wasm') return `only used with the wasm backend (this run would use ${b.name})`;
  return 'install OpenBLAS headers and rebuild the addon: `sudo apt-get install libopenblas-dev && npm rebuild @awn/kernels-blas` (without it every matMul runs in wasm, about 2x slower for the example runs)';
}

export function registerEnv(program: Command): void {
  program
    .command('env')
    .description('print versions, the tensor backends available here, the OpenBLAS addon state and how to enable it')
    .addHelpText('after', '\nExample:\n  $ awn env')
    .action(async () => {
      const backend = await selectBackend('auto');
      const candidates = [
        ['tensorflow (tfjs-node-gpu)', installed('@tensorflow/tfjs-node-gpu')],
        ['tensorflow (tfjs-node)', installed('@tensorflow/tfjs-node')],
        ['wasm', installed('@tensorflow/tfjs-backend-wasm')],
        ['cpu', installed('@tensorflow/tfjs-backend-cpu')],
      ] as const;
      const rows: [string, string][] = [
        [
          'awn',
          (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
            .version,
        ],
        [
          'node',
          `${process.version} (${platform()} ${arch()}, ${availableParallelism()} CPU threads, ${cpus()[0]?.model.trim() ?? 'unknown CPU'})`,
        ],
        ['@tensorflow/tfjs-core', installed('@tensorflow/tfjs-core')],
        ...candidates.map(([name, v]): [string, string] => [`backend ${name}`, v]),
        [
          'backend chosen (auto)',
          `${backend.name}${backend.skipped.length ? ` (skipped: ${backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''}`,
        ],
        ['@awn/kernels-blas', installed('@awn/kernels-blas')],
        [
          'OpenBLAS matMul',
          backend.blas.enabled
            ? `on${backend.blas.threads ? ` (${backend.blas.threads} threads${backend.blas.coreType ? `, ${backend.blas.coreType}` : ''})` : ''}`
            : `off: ${backend.blas.reason ?? 'unknown reason'}`,
        ],
        ['  to enable', blasAdvice(backend)],
        ['zeromq', `${installed('zeromq')} (CURVE ${capability.curve ? 'available' : 'not available'})`],
      ];
      process.stdout.write(`${table(rows)}\n`);
    });
}
