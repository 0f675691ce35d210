/**
 * Checkpoint files on disk, written so that a crash, a full disk or a killed process at any
 * moment leaves either the previous complete file or the new complete file under the final
 * name, never a partial one (docs/architecture.md, "Fault model").
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CheckpointError } from './errors.js';
import { checkpointHash, fillBlob, planCheckpoint, type WritableCheckpoint } from './encode.js';
import {
  CHECKSUM_BYTES,
  PREAMBLE_BYTES,
  LITTLE_ENDIAN_HOST,
  checkedHeader,
  checkPreamble,
  decodeCheckpoint,
  diagnoseMismatch,
  verifyCheckpointBytes,
  type CheckpointContents,
} from './format.js';

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
 * Writes a checkpoint atomically: validate and lay it out, stream it into a temporary file in the
 * same directory (each tensor packed into a reused scratch buffer, hashed as it goes out), fsync
 * it, rename it over `path`, then fsync the directory so the rename itself survives a power cut.
 * No copy of the whole state is made: at 100M parameters the encode-then-write it replaced
 * allocated 2.4 GB and took ~20 s of page faults on a VM. Creates the directory if needed. On any
 * failure the temporary file is removed and whatever was at `path` before is untouched; the error
 * is a {@link CheckpointError}.
 */
export async function saveCheckpoint(path: string, c: WritableCheckpoint): Promise<void> {
  const plan = planCheckpoint(c, path);
  await writeAtomically(path, async (out) => {
    const hash = checkpointHash();
    const emit = async (bytes: Uint8Array) => {
      hash.update(bytes);
      await out(bytes);
    };
    await emit(plan.head);
    let scratch = new Float32Array(0);
    let at = plan.head.length;
    for (const blob of plan.blobs) {
      if (blob.at > at) await emit(new Uint8Array(blob.at - at));
      let values: Float32Array;
      if ('data' in blob.tensor && LITTLE_ENDIAN_HOST) values = blob.tensor.data;
      else {
        if (scratch.length < blob.count) scratch = new Float32Array(blob.count);
        values = scratch.subarray(0, blob.count);
        fillBlob(blob.tensor, values);
      }
      await emit(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      at = blob.at + values.byteLength;
    }
    if (plan.bodyLength > at) await emit(new Uint8Array(plan.bodyLength - at));
    await out(hash.digest());
  });
}

/**
 * Writes checkpoint bytes encoded elsewhere (a worker's state), atomically as {@link saveCheckpoint}
 * does, after verifying them: a state damaged in flight never replaces a good checkpoint.
 */
export async function saveEncodedCheckpoint(path: string, bytes: Uint8Array, source: string): Promise<void> {
  verifyCheckpointBytes(bytes, source);
  await writeAtomically(path, (out) => out(bytes));
}

/** Temporary file, `write` (which emits the file's bytes in order), fsync, rename, directory fsync. */
async function writeAtomically(
  path: string,
  write: (out: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  const temp = tempPathFor(target);
  let handle: FileHandle | undefined;
  try {
    await fsp.mkdir(dir, { recursive: true });
    handle = await fsp.open(temp, 'wx', 0o644);
    const file = handle;
    let position = 0;
    await write(async (bytes) => {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await file.write(
          bytes,
          written,
          Math.min(WRITE_CHUNK_BYTES, bytes.length - written),
          position,
        );
        if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${position}`);
        written += bytesWritten;
        position += bytesWritten;
      }
    });
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

/**
 * Verifies a checkpoint file as {@link loadCheckpoint} does (magic, version, header, length,
 * SHA-256, and with `expect.kind` its kind) while reading it in chunks: pruning checks the newest
 * checkpoints after every save, and loading each whole (the file, then a copy of every tensor)
 * held 2.4 GB at 100M parameters and was the run's peak memory. Returns the kind.
 */
export async function verifyCheckpoint(path: string, expect?: { kind?: string }): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CheckpointError(path, 'missing', 'does not exist', { cause: err });
    throw new CheckpointError(path, 'io', `could not be read: ${(err as Error).message}`, { cause: err });
  }
  try {
    const { size } = await handle.stat();
    const read = async (position: number, length: number): Promise<Uint8Array> => {
      const out = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(out, got, length - got, position + got);
        if (bytesRead === 0) throw new CheckpointError(path, 'truncated', `is truncated: it ended while being read`);
        got += bytesRead;
      }
      return out;
    };
    const preamble = await read(0, Math.min(size, PREAMBLE_BYTES));
    const headerLength = checkPreamble(preamble, size, path);
    const head = await read(0, PREAMBLE_BYTES + headerLength);
    const bodyLength = size - CHECKSUM_BYTES;
    const hash = checkpointHash();
    const chunk = new Uint8Array(Math.min(WRITE_CHUNK_BYTES, bodyLength));
    for (let at = 0; at < bodyLength; at += chunk.length) {
      const n = Math.min(chunk.length, bodyLength - at);
      const part = chunk.subarray(0, n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await handle.read(part, got, n - got, at + got);
        if (bytesRead === 0) throw new CheckpointError(path, 'truncated', `is truncated: it ended while being read`);
        got += bytesRead;
      }
      hash.update(part);
    }
    const digest = hash.digest();
    const stored = await read(bodyLength, CHECKSUM_BYTES);
    if (digest.some((b, i) => b !== stored[i])) diagnoseMismatch(head, headerLength, path, size);
    const { header } = checkedHeader(head, headerLength, size, path);
    if (expect?.kind !== undefined && header.kind !== expect.kind)
      throw new CheckpointError(path, 'kind', `holds a '${header.kind}' checkpoint, expected '${expect.kind}'`);
    return header.kind;
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(path, 'io', `could not be read: ${(err as Error).message}`, { cause: err });
  } finally {
    await handle.close();
  }
}
