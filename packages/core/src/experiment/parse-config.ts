import type { z } from 'zod';
import { runConfigSchema, type RunConfig } from './config-schema.js';

/** A config that failed validation; `problems` lists every bad field with its path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): { path: string; message: string } {
  const path = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'unrecognized_keys') {
    return {
      path: issue.path.length ? path : issue.keys.join(', '),
      message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`,
    };
  }
  if (issue.code === 'invalid_value')
    return { path, message: `${issue.message} (allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})` };
  return { path, message: issue.message };
}

/** Validates a parsed config object, filling defaults; throws {@link ConfigError} naming each bad field. */
export function parseRunConfig(value: unknown, source = 'config'): RunConfig {
  const result = runConfigSchema.safeParse(value);
  if (!result.success) throw new ConfigError(source, result.error.issues.map(describeIssue));
  return result.data;
}
