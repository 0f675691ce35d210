#!/usr/bin/env node
// Builds the OpenBLAS addon with node-gyp. Run as this package's `install` script, so it must never
// fail the install: the addon is an optional fast path and @awn/kernels-blas reports itself disabled
// (wasm's own matMul keeps working) when build/Release/awn_blas.node is absent. Exits 0 always and
// says what is missing and how to get it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const hint = 'install it with: apt-get install -y libopenblas-dev (Debian/Ubuntu)';

function done(message) {
  console.log(`@awn/kernels-blas: ${message}`);
  process.exit(0);
}

if (process.env.AWN_SKIP_BLAS_BUILD === '1') done('AWN_SKIP_BLAS_BUILD=1, not building the addon');

// node-gyp: npm hands its bundled copy to lifecycle scripts via npm_config_node_gyp; outside npm,
// look next to this node's npm, then for a resolvable package.
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package; the other candidates may still exist
  }
  return candidates.find((c) => c && existsSync(c));
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) done('node-gyp not found; the OpenBLAS matMul is disabled (wasm kernels are used)');

const cc = spawnSync('sh', ['-c', 'command -v cc || command -v gcc'], { encoding: 'utf8' });
if (cc.status !== 0) done('no C compiler (cc/gcc) on PATH; the OpenBLAS matMul is disabled');

const headerDirs = [
  '/usr/include',
  '/usr/include/x86_64-linux-gnu',
  '/usr/include/openblas',
  '/usr/include/x86_64-linux-gnu/openblas-pthread',
  '/usr/local/include',
];
if (!headerDirs.some((d) => existsSync(join(d, 'cblas.h')))) {
  done(`OpenBLAS headers (cblas.h) not found; the OpenBLAS matMul is disabled. To enable it, ${hint}`);
}

// Node's headers: without a configured nodedir node-gyp downloads them, which fails offline. Use the
// ones installed beside this node when present.
const args = [nodeGyp, 'rebuild'];
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include/node/node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const res = spawnSync(process.execPath, args, { cwd: pkgDir, stdio: 'inherit' });
if (res.status !== 0) {
  done(`node-gyp failed (status ${res.status}); the OpenBLAS matMul is disabled. If libopenblas is missing, ${hint}`);
}
done('built build/Release/awn_blas.node');
