import { join } from 'node:path';
import type { RunConfig } from '@awn/core';
import { UsageError } from '../errors.js';
import { loadRunConfig, type ConfigOverrides } from '../config/load-config-file.js';

/** Dotted paths of the fields that differ between two configs ("training.steps", "seed"). */
export function changedFields(a: unknown, b: unknown, path = ''): string[] {
  if (
    typeof a === 'object' &&
    a !== null &&
    typeof b === 'object' &&
    b !== null &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) =>
      changedFields((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k),
    );
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(whole config)'];
}

/**
 * The config a resumed run continues with: the run directory's own config.json, or `--config`
 * and flag overrides when they change nothing, or change something and the user said so with
 * `--config-change-ok` (a different model would not even load the checkpoint's tensors, so
 * a silent change is never right).
 */
export async function resumeConfig(
  runDir: string,
  configFile: string | undefined,
  overrides: ConfigOverrides,
  changeOk: boolean,
): Promise<{ config: RunConfig; changed: string[] }> {
  const savedFile = join(runDir, 'config.json');
  const saved = await loadRunConfig(savedFile).catch((error: Error) => {
    throw new UsageError(`cannot resume ${runDir}: ${error.message}`);
  });
  const config = await loadRunConfig(configFile ?? savedFile, overrides);
  const changed = changedFields(saved, config);
  if (changed.length > 0 && !changeOk) {
    throw new UsageError(
      `--resume ${runDir}: the config differs from the run's own (${changed.join(', ')}); pass --config-change-ok to continue with the new values, or drop the change`,
    );
  }
  return { config, changed };
}
