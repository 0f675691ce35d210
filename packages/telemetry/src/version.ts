import { readFileSync } from 'node:fs';

/**
 * The awn release, read from this package's package.json (every workspace package is released
 * at the same version), so `awn --version`, the `awn_build_info` metric and the workers' version
 * check cannot disagree with what was installed.
 */
export const AWN_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
