import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, parseRunConfig, type RunConfig } from '@awn/core';
import { UsageError } from '../errors.js';

/** Reads a JSON or YAML file into a plain value, naming the file on any failure. */
export async function readConfigValue(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `config file ${path} does not exist`
        : `cannot read config file ${path}: ${(error as Error).message}`,
    );
  }
  const ext = extname(path).toLowerCase();
  try {
    return ext === '.yaml' || ext === '.yml' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `config file ${path} is not valid ${ext === '.yaml' || ext === '.yml' ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
}

/** Overrides from flags, applied before validation so they are checked like the file. */
export interface ConfigOverrides {
  seed?: number;
  steps?: number;
  backend?: string;
}

/** Data file fields, read relative to the config file's folder. */
const PATH_FIELDS = ['path', 'validationPath', 'testPath'] as const;

/**
 * Makes relative data paths absolute against the config file's folder, so a config works from
 * any working directory and the run directory's config.json names the same files.
 */
function resolveDataPaths(config: Record<string, unknown>, configFile: string): void {
  const data = config.data;
  if (typeof data !== 'object' || data === null) return;
  const fields = data as Record<string, unknown>;
  for (const f of PATH_FIELDS) {
    const v = fields[f];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) fields[f] = resolve(dirname(configFile), v);
  }
}

/** Reads, overrides and validates a run config; every problem becomes a UsageError naming the field. */
export async function loadRunConfig(path: string, overrides: ConfigOverrides = {}): Promise<RunConfig> {
  const value = await readConfigValue(path);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError(`config file ${path} must hold an object`);
  const config = structuredClone(value) as Record<string, unknown>;
  resolveDataPaths(config, path);
  if (overrides.seed !== undefined) config.seed = overrides.seed;
  if (overrides.backend !== undefined) config.backend = overrides.backend;
  if (overrides.steps !== undefined) {
    const training = (config.training ?? {}) as Record<string, unknown>;
    config.training = { ...training, steps: overrides.steps };
  }
  try {
    return parseRunConfig(config, path);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
