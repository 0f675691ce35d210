/**
 * Encoding and decoding of the awn checkpoint format (specified in FORMAT.md beside this file).
 *
 * The format knows nothing about models: a checkpoint is a kind tag, a JSON `meta` object and a
 * table of named float32 tensors. Keeping it model-agnostic lets the coordinator verify, list and
 * prune checkpoints of any architecture, and lets the format outlive changes to the layers.
 */
import { createHash } from 'node:crypto';
import { CheckpointError } from './errors.js';

/** One stored array: row-major float32 values and their shape. */
export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
}

/** Everything a checkpoint holds. */
export interface CheckpointContents {
  /** What wrote it, e.g. `awn-mlp`; loaders refuse a kind they do not expect. */
  kind: string;
  /** JSON-serialisable state: config, step, widths, rates, PRNG state, data cursor, optimizer step count… */
  meta: Record<string, unknown>;
  /** Weights, optimizer moments and any other float32 arrays, by name. */
  tensors: Record<string, CheckpointTensor>;
}

/** The 8 bytes every checkpoint starts with. */
export const CHECKPOINT_MAGIC = Uint8Array.from([0x41, 0x57, 0x4e, 0x43, 0x4b, 0x50, 0x54, 0x00]); // "AWNCKPT\0"
/** The format version this build writes, and the newest it reads. */
export const CHECKPOINT_FORMAT_VERSION = 1;
/** Alignment of the data section and of every tensor blob inside it, in bytes. */
export const CHECKPOINT_ALIGNMENT = 16;
/** Size of the trailing SHA-256 checksum. */
export const CHECKSUM_BYTES = 32;
/** Magic (8), version (u32) and header length (u32). */
export const PREAMBLE_BYTES = 16; // magic (8) + version (u32) + header length (u32)

export interface TensorEntry {
  name: string;
  dtype: 'float32';
  shape: number[];
  byteOffset: number;
  byteLength: number;
}

export interface Header {
  kind: string;
  meta: Record<string, unknown>;
  tensors: TensorEntry[];
  dataLength: number;
}

/** Float32 blobs are little-endian in the file; a big-endian host swaps each one. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export function align(n: number): number {
  return Math.ceil(n / CHECKPOINT_ALIGNMENT) * CHECKPOINT_ALIGNMENT;
}

/** Reverses each 4-byte group in place: float32 host order ↔ little-endian, bit-exact (NaN payloads kept). */
export function swap32(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const a = bytes[i];
    const b = bytes[i + 1];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

export function isShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function checkTensorName(name: string, source: string): void {
  if (name === '' || name === '__proto__')
    throw new CheckpointError(source, 'invalid', `tensor name ${JSON.stringify(name)} is not allowed`);
}

/**
 * Checks what the first 16 bytes of a `fileLength`-byte checkpoint say (magic, version, a header
 * that fits) and returns the header's length. `start` holds at least those bytes when the file has them.
 */
export function checkPreamble(start: Uint8Array, fileLength: number, source: string): number {
  for (let i = 0; i < Math.min(CHECKPOINT_MAGIC.length, start.length); i++) {
    if (start[i] !== CHECKPOINT_MAGIC[i])
      throw new CheckpointError(source, 'magic', 'is not an awn checkpoint (wrong magic bytes)');
  }
  if (fileLength < PREAMBLE_BYTES + CHECKSUM_BYTES) {
    throw new CheckpointError(source, 'truncated', `is truncated: ${fileLength} bytes, shorter than any checkpoint`);
  }
  const view = new DataView(start.buffer, start.byteOffset, start.byteLength);
  const version = view.getUint32(8, true);
  if (version > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      source,
      'version',
      `uses format version ${version}, newer than this build reads (up to ${CHECKPOINT_FORMAT_VERSION}); upgrade awn`,
    );
  }
  if (version < 1) throw new CheckpointError(source, 'version', `has unknown format version ${version}`);
  const headerLength = view.getUint32(12, true);
  if (PREAMBLE_BYTES + headerLength > fileLength - CHECKSUM_BYTES) {
    throw new CheckpointError(
      source,
      'truncated',
      `is truncated or corrupt: header length ${headerLength} exceeds the ${fileLength}-byte file`,
    );
  }
  return headerLength;
}

/**
 * After the checksum matched: the header (from `bytes`, which start with the preamble and header)
 * and the data section's start, checked against the file's length.
 */
export function checkedHeader(
  bytes: Uint8Array,
  headerLength: number,
  fileLength: number,
  source: string,
): {
  header: { kind: string; dataLength: number; tensors: TensorEntry[]; meta: Record<string, unknown> };
  dataStart: number;
} {
  const header = parseHeader(bytes, headerLength, source);
  const dataStart = align(PREAMBLE_BYTES + headerLength);
  if (dataStart + header.dataLength + CHECKSUM_BYTES !== fileLength) {
    invalid(
      source,
      `file is ${fileLength} bytes but the header describes ${dataStart + header.dataLength + CHECKSUM_BYTES}`,
    );
  }
  return { header, dataStart };
}

/** Why a checksum failed: a parseable header that promises more bytes than exist means truncation. */
export function diagnoseMismatch(
  bytes: Uint8Array,
  headerLength: number,
  source: string,
  fileLength = bytes.length,
): never {
  let expected: number | undefined;
  try {
    const h = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)),
    ) as Partial<Header>;
    if (Number.isSafeInteger(h.dataLength))
      expected = align(PREAMBLE_BYTES + headerLength) + (h.dataLength as number) + CHECKSUM_BYTES;
  } catch {
    // The header itself is damaged: plain corruption.
  }
  if (expected !== undefined && fileLength < expected) {
    throw new CheckpointError(
      source,
      'truncated',
      `is truncated: ${fileLength} bytes, the header promises ${expected}`,
    );
  }
  if (expected !== undefined && fileLength > expected) {
    throw new CheckpointError(
      source,
      'corrupt',
      `is corrupt: ${fileLength - expected} unexpected bytes after the data`,
    );
  }
  throw new CheckpointError(source, 'corrupt', 'is corrupt: SHA-256 checksum mismatch (a byte was changed)');
}

function invalid(source: string, what: string): never {
  throw new CheckpointError(source, 'invalid', `has a valid checksum but an impossible header: ${what}`);
}

function parseHeader(bytes: Uint8Array, headerLength: number, source: string): Header {
  let h: unknown;
  try {
    h = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)),
    );
  } catch (err) {
    invalid(source, `header is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof h !== 'object' || h === null) invalid(source, 'header is not an object');
  const { kind, meta, tensors, dataLength } = h as Record<string, unknown>;
  if (typeof kind !== 'string' || kind === '') invalid(source, 'kind is not a non-empty string');
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) invalid(source, 'meta is not an object');
  if (
    !Number.isSafeInteger(dataLength) ||
    (dataLength as number) < 0 ||
    (dataLength as number) % CHECKPOINT_ALIGNMENT !== 0
  ) {
    invalid(source, `dataLength ${String(dataLength)} is not a non-negative multiple of ${CHECKPOINT_ALIGNMENT}`);
  }
  if (!Array.isArray(tensors)) invalid(source, 'tensors is not an array');
  const names = new Set<string>();
  let end = 0;
  for (const t of tensors as unknown[]) {
    const e = t as Partial<TensorEntry>;
    const name = typeof e?.name === 'string' ? e.name : undefined;
    if (name === undefined || name === '' || name === '__proto__')
      invalid(source, `tensor name ${JSON.stringify(e?.name)} is not allowed`);
    if (names.has(name)) invalid(source, `tensor '${name}' appears twice`);
    names.add(name);
    if (e.dtype !== 'float32')
      invalid(source, `tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; this build reads float32 only`);
    if (!isShape(e.shape))
      invalid(source, `tensor '${name}' shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`);
    const { byteOffset, byteLength } = e;
    if (byteLength !== elementCount(e.shape) * 4)
      invalid(source, `tensor '${name}' byteLength ${byteLength} disagrees with shape [${e.shape.join(', ')}]`);
    if (
      !Number.isSafeInteger(byteOffset) ||
      (byteOffset as number) % CHECKPOINT_ALIGNMENT !== 0 ||
      (byteOffset as number) < end
    ) {
      invalid(source, `tensor '${name}' byteOffset ${byteOffset} is unaligned or overlaps the previous tensor`);
    }
    end = (byteOffset as number) + byteLength;
    if (end > (dataLength as number))
      invalid(source, `tensor '${name}' ends at ${end}, past the data section (${dataLength} bytes)`);
  }
  return h as Header;
}

/**
 * Verifies checkpoint bytes as {@link decodeCheckpoint} does (same errors) without copying any
 * tensor out, and returns the kind: what a writer needs before putting bytes encoded elsewhere on
 * disk (decoding them copied 1.2 GB at 100M parameters).
 */
export function verifyCheckpointBytes(bytes: Uint8Array, source: string): string {
  return verifiedHeader(bytes, source).header.kind;
}

function verifiedHeader(bytes: Uint8Array, source: string): ReturnType<typeof checkedHeader> {
  const headerLength = checkPreamble(bytes, bytes.length, source);
  const bodyLength = bytes.length - CHECKSUM_BYTES;
  const digest = sha256(bytes.subarray(0, bodyLength));
  for (let i = 0; i < CHECKSUM_BYTES; i++)
    if (digest[i] !== bytes[bodyLength + i]) diagnoseMismatch(bytes, headerLength, source);
  return checkedHeader(bytes, headerLength, bytes.length, source);
}

/**
 * Parses and verifies checkpoint bytes. Every defect becomes a {@link CheckpointError} naming
 * `source` (the file) and the problem: wrong magic, a newer format version, truncation, any
 * changed byte (SHA-256 over everything before the checksum), or an impossible header. Tensor data
 * is copied out, so the result does not alias `bytes`.
 */
export function decodeCheckpoint(bytes: Uint8Array, source: string): CheckpointContents {
  const { header, dataStart } = verifiedHeader(bytes, source);
  const tensors: Record<string, CheckpointTensor> = {};
  for (const e of header.tensors) {
    const data = new Float32Array(e.byteLength / 4);
    const raw = new Uint8Array(data.buffer);
    raw.set(bytes.subarray(dataStart + e.byteOffset, dataStart + e.byteOffset + e.byteLength));
    if (!LITTLE_ENDIAN_HOST) swap32(raw);
    tensors[e.name] = { shape: e.shape, data };
  }
  return { kind: header.kind, meta: header.meta, tensors };
}
