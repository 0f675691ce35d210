#!/usr/bin/env node
// Runs `node --test` over every compiled test file of the workspace (or of the folders given),
// so the closing summary CI reads is node's own. Node 20's runner takes no globs, hence the walk.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['packages', 'apps', 'test/dist'];

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.js') && path.split('/').includes('dist')) out.push(path);
  }
  return out;
}

const files = roots.flatMap((r) => walk(join(root, r), [])).sort();
if (files.length === 0) {
  console.error(`no compiled test files under ${roots.join(', ')}: run the build first`);
  process.exit(1);
}
const args = ['--test', '--test-reporter=spec', ...files.map((f) => relative(process.cwd(), f))];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
