/**
 * The writing side of the checkpoint format (FORMAT.md): validating and laying out what to write,
 * tensors stored or read on demand, and encoding it into one byte array. Streaming the same layout
 * to a file is file.ts's saveCheckpoint.
 */
import { createHash } from 'node:crypto';
import { CheckpointError } from './errors.js';
import {
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_MAGIC,
  CHECKSUM_BYTES,
  LITTLE_ENDIAN_HOST,
  PREAMBLE_BYTES,
  align,
  checkTensorName,
  elementCount,
  isShape,
  sha256,
  swap32,
  type CheckpointTensor,
  type Header,
  type TensorEntry,
} from './format.js';
import { assertJsonValue } from './json.js';

/**
 * A tensor to write whose values are produced as it is written: a training state's parameters and
 * optimizer slots are packed straight into the file or the encoded bytes, instead of first into
 * arrays of their own (1.2 GB at 100M parameters, allocated and faulted in on every save).
 */
export interface CheckpointTensorSource {
  shape: number[];
  /** Writes the row-major values into `out`, which holds exactly product(shape) floats. */
  read(out: Float32Array): void;
}

/** What can be written: like {@link CheckpointContents}, with tensors stored or read on demand. */
export interface WritableCheckpoint {
  kind: string;
  meta: Record<string, unknown>;
  tensors: Record<string, CheckpointTensor | CheckpointTensorSource>;
}

/** Where each tensor of a checkpoint goes: the bytes before the data, and every blob's file offset. */
export interface CheckpointPlan {
  /** Preamble, header and the zero padding up to the data section. */
  head: Uint8Array;
  blobs: { name: string; at: number; count: number; tensor: CheckpointTensor | CheckpointTensorSource }[];
  /** Bytes covered by the checksum (the file is this plus {@link CHECKSUM_BYTES}). */
  bodyLength: number;
}

/**
 * Validates a checkpoint and lays it out: the kind must be a non-empty string, `meta` plain JSON
 * (see {@link assertJsonValue}), and every tensor's shape non-negative integers whose product is
 * its data length. `source` only labels error messages (e.g. the path being saved).
 */
export function planCheckpoint(c: WritableCheckpoint, source = '(being encoded)'): CheckpointPlan {
  if (typeof c.kind !== 'string' || c.kind === '')
    throw new CheckpointError(source, 'invalid', 'kind must be a non-empty string');
  if (typeof c.meta !== 'object' || c.meta === null || Array.isArray(c.meta)) {
    throw new CheckpointError(source, 'invalid', 'meta must be a plain object');
  }
  assertJsonValue(c.meta, 'meta', source);
  const entries: TensorEntry[] = [];
  const tensors: (CheckpointTensor | CheckpointTensorSource)[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(c.tensors)) {
    checkTensorName(name, source);
    const stored = t !== null && typeof t === 'object' && 'data' in t;
    if (stored ? !(t.data instanceof Float32Array) : typeof (t as Partial<CheckpointTensorSource>)?.read !== 'function')
      throw new CheckpointError(source, 'invalid', `tensor '${name}' data must be a Float32Array`);
    if (!isShape(t.shape))
      throw new CheckpointError(
        source,
        'invalid',
        `tensor '${name}' shape ${JSON.stringify(t.shape)} must be non-negative integers`,
      );
    const count = elementCount(t.shape);
    if (stored && count !== (t as CheckpointTensor).data.length) {
      throw new CheckpointError(
        source,
        'invalid',
        `tensor '${name}' has shape [${t.shape.join(', ')}] (${count} values) but ${(t as CheckpointTensor).data.length} values of data`,
      );
    }
    entries.push({ name, dtype: 'float32', shape: [...t.shape], byteOffset: offset, byteLength: 4 * count });
    tensors.push(t);
    offset = align(offset + 4 * count);
  }
  const header: Header = { kind: c.kind, meta: c.meta, tensors: entries, dataLength: offset };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align(PREAMBLE_BYTES + headerBytes.length);
  const head = new Uint8Array(dataStart);
  const view = new DataView(head.buffer);
  head.set(CHECKPOINT_MAGIC, 0);
  view.setUint32(8, CHECKPOINT_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  head.set(headerBytes, PREAMBLE_BYTES);
  return {
    head,
    blobs: entries.map((e, i) => ({
      name: e.name,
      at: dataStart + e.byteOffset,
      count: e.byteLength / 4,
      tensor: tensors[i],
    })),
    bodyLength: dataStart + offset,
  };
}

/** Writes one tensor's values into `out` (its blob, float32 little-endian). */
export function fillBlob(tensor: CheckpointTensor | CheckpointTensorSource, out: Float32Array): void {
  if ('data' in tensor) out.set(tensor.data);
  else tensor.read(out);
  if (!LITTLE_ENDIAN_HOST) swap32(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
}

/** SHA-256 as an incremental hash, for writers that stream the body. */
export function checkpointHash(): { update(bytes: Uint8Array): void; digest(): Uint8Array } {
  const hash = createHash('sha256');
  return {
    update: (bytes) => void hash.update(bytes),
    digest: () => hash.digest(),
  };
}

/** Serialises a checkpoint into one byte array (validated first: nothing malformed is ever written). */
export function encodeCheckpoint(c: WritableCheckpoint, source = '(being encoded)'): Uint8Array {
  const plan = planCheckpoint(c, source);
  const out = new Uint8Array(plan.bodyLength + CHECKSUM_BYTES);
  out.set(plan.head, 0);
  for (const blob of plan.blobs) fillBlob(blob.tensor, new Float32Array(out.buffer, blob.at, blob.count));
  out.set(sha256(out.subarray(0, plan.bodyLength)), plan.bodyLength);
  return out;
}
