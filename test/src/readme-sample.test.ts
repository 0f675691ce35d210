import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';

describe('README', () => {
  it('the "Using @awn/core alone" sample compiles and runs', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Using `@awn/core` alone'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(code, 'the section has a ts code block');
    const out = ts.transpileModule(code, {
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    assert.deepEqual(out.diagnostics ?? [], []);
    // Inside the repository so that '@awn/core' resolves through the workspace's node_modules.
    const file = join(ROOT, 'test', 'dist', `readme-sample-${process.pid}.mjs`);
    await writeFile(file, out.outputText);
    try {
      const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      const accuracy = Number(/test accuracy ([\d.]+)/.exec(r.stdout)?.[1]);
      const truncated = Number(/after truncation ([\d.]+)/.exec(r.stdout)?.[1]);
      assert.ok(accuracy > 0.9, r.stdout);
      assert.ok(truncated > 0.5, r.stdout);
      assert.match(r.stdout, /step 0: nll [\d.]+, widths \d+,\d+/);
    } finally {
      await rm(file, { force: true });
    }
  });
});
