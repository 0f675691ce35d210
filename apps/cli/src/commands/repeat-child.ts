#!/usr/bin/env node
// One seed of `awn repeat`, run as a child process so seeds train in parallel on separate cores:
// reads {config, evalEvery} as JSON from argv[2], writes the SeedResult as one JSON line.
import { parseRunConfig } from '@awn/core';
import { trainSeed } from './repeat-seed.js';

const { config, evalEvery } = JSON.parse(process.argv[2] ?? '{}') as { config: unknown; evalEvery?: number };
try {
  const result = await trainSeed(parseRunConfig(config, 'awn repeat'), evalEvery);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
