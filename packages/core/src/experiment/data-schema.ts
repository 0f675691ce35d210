import { z } from 'zod';

/**
 * The `data` fields of a run that reads the user's own files (`dataset: csv | jsonl | text`).
 * Paths are absolute once loaded: `awn train` resolves relative ones against the config file's
 * folder, so the run directory's config.json names the same files from anywhere.
 */
export const fileDataFields = {
  /** Training file: a CSV / JSONL file, or for text a file, a directory or a glob. */
  path: z.string().min(1).optional(),
  /** Separate validation data (else held out of `path` with validationFraction). */
  validationPath: z.string().min(1).optional(),
  /** Separate test data (else held out of `path` with testFraction). */
  testPath: z.string().min(1).optional(),
  /** Tabular: the label column (CSV header name or JSON key). */
  label: z.string().min(1).optional(),
  /** Tabular: feature columns in order (default: every other column). */
  features: z.array(z.string().min(1)).min(1).optional(),
  /** Tabular: class names or a real-valued target. */
  task: z.enum(['classification', 'regression']).optional(),
  /** CSV: field separator. */
  delimiter: z.string().length(1).optional(),
};

const FILE_ONLY = ['path', 'validationPath', 'testPath', 'label', 'features', 'task', 'delimiter'] as const;
const TABULAR_ONLY = ['label', 'features', 'task'] as const;

/** Which fields go with which data set: a file source needs a path, a table needs a label. */
export function checkFileDataFields(
  d: { dataset: string } & { [K in (typeof FILE_ONLY)[number]]?: unknown },
  ctx: z.RefinementCtx,
): void {
  const file = d.dataset === 'csv' || d.dataset === 'jsonl' || d.dataset === 'text';
  const tabular = d.dataset === 'csv' || d.dataset === 'jsonl';
  if (file && d.path === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['path'],
      message: `data set '${d.dataset}' reads your files: give data.path`,
    });
  if (tabular && d.label === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['label'],
      message: `data set '${d.dataset}' needs data.label, the column holding the target`,
    });
  for (const field of FILE_ONLY) {
    if (d[field] === undefined) continue;
    const forTables = (TABULAR_ONLY as readonly string[]).includes(field);
    if (forTables ? !tabular : !file)
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `only for data sets ${forTables ? "'csv' and 'jsonl'" : "read from files ('csv', 'jsonl', 'text')"}, not '${d.dataset}'`,
      });
  }
  if (d.delimiter !== undefined && d.dataset !== 'csv')
    ctx.addIssue({ code: 'custom', path: ['delimiter'], message: `only for data set 'csv', not '${d.dataset}'` });
}
