#!/usr/bin/env node
// The `awn` command as npm links it (node_modules/.bin/awn, so `npx awn` works in the clone).
// It lives outside dist/ because npm links bins at install time, before anything is built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(`awn: not built yet (${main} is missing): run \`npm run build\` in the repository first\n`);
  process.exit(1);
}
await import(main);
