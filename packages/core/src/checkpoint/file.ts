/**
 * Checkpoint files on disk, written so that a crash, a full disk or a killed process at any
 * moment leaves either the previous complete file or the new complete file under the final
 * name, never a partial one (docs/architecture.md, "Fault model").
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointError } from './errors.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContents } from './format.js';

/** Largest single write; big checkpoints go out in several calls so no one call holds gigabytes. */
const WRITE_CHUNK_BYTES = 8 << 20;
let tempCounter = 0;

/** Name of the temporary file a save writes first: hidden, unique per process and call, never matching a checkpoint name. */
function tempPathFor(path: string): string {
  tempCounter++;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tempCounter}.tmp`);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a checkpoint atomically: encode (validating) in memory, write a temporary file in the
 * same directory, fsync it, rename it over `path`, then fsync the directory so the rename itself
 * survives a power cut. Creates the directory if needed. On any failure the temporary file is
 * removed and whatever was at `path` before is untouched; the error is a {@link CheckpointError}.
 */
export async function saveCheckpoint(path: string, c: CheckpointContents): Promise<void> {
  const bytes = encodeCheckpoint(c, path);
  const target = resolve(path);
  const dir = dirname(target);
  const temp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    await fsp.mkdir(dir, { recursive: true });
    handle = await fsp.open(temp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(
        bytes,
        written,
        Math.min(WRITE_CHUNK_BYTES, bytes.length - written),
        written,
      );
      if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${written}`);
      written += bytesWritten;
    }
    await handle.sync();
    const h = handle;
    handle = undefined;
    await h.close();
    await fsp.rename(temp, target);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fsp.rm(temp, { force: true }).catch(() => undefined);
    throw new CheckpointError(
      path,
      'io',
      `could not be written (previous file, if any, kept): ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    await syncDirectory(dir);
  } catch (err) {
    throw new CheckpointError(
      path,
      'io',
      `was written but its directory could not be synced, so it may not survive a crash: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Reads and fully verifies a checkpoint (see {@link decodeCheckpoint}); with `expect.kind`, also
 * refuses a valid checkpoint written by a different kind of model.
 */
export async function loadCheckpoint(path: string, expect?: { kind?: string }): Promise<CheckpointContents> {
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CheckpointError(path, 'missing', 'does not exist', { cause: err });
    if (code === 'EISDIR')
      throw new CheckpointError(path, 'io', 'is a directory, not a checkpoint file', { cause: err });
    throw new CheckpointError(path, 'io', `could not be read: ${(err as Error).message}`, { cause: err });
  }
  const contents = decodeCheckpoint(bytes, path);
  if (expect?.kind !== undefined && contents.kind !== expect.kind) {
    throw new CheckpointError(path, 'kind', `holds a '${contents.kind}' checkpoint, expected '${expect.kind}'`);
  }
  return contents;
}
