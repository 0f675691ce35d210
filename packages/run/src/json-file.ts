import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `value` as JSON through a temporary file and a rename, so readers never see half a file.
 * The temporary name ends in `.tmp` so a run directory's start-up clean-up finds one a killed
 * process left behind.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeTextAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes `text` to `path` through `path.<pid>.tmp` and a rename; the temporary file is removed on failure. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}
