#!/usr/bin/env node
// Run by `npm pack` / `npm publish` after the build (prepack): refuses to pack a package whose
// compiled entry points or vendored gradients are missing, so an unbuilt clone never produces a
// tarball that installs but cannot be imported.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const required = [
  'dist/index.js',
  'dist/index.d.ts',
  'dist/internal.js',
  'dist/internal.d.ts',
  'dist/ops/register-gradients.js',
  'vendor/tfjs-gradients.mjs',
];
const missing = required.filter((f) => !existsSync(fileURLToPath(new URL(f, root))));
if (missing.length > 0) {
  console.error(
    `@awn/core is not built: ${missing.join(', ')} missing. Run \`npm run build\` at the repository root (prepack runs tsc -b).`,
  );
  process.exit(1);
}
