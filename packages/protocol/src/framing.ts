import {
  checkSecret,
  deriveRunKey,
  ReplayGuard,
  type Secret,
  SIGNATURE_BYTES,
  signFrames,
  TRAILER_BYTES,
  TrailerSource,
  verifyFrames,
} from './auth.js';
import { chunkEnvelope, decodeChunkHeader, encodeChunkHeader, isChunkHeader } from './chunk-header.js';
import { packHeader, unpackHeader } from './codec.js';
import { ProtocolError } from './errors.js';
import { type Limits, MAX_FRAME_BYTES, PROTOCOL_VERSION, resolveLimits } from './limits.js';
import type { Message } from './messages.js';
import {
  asBytes,
  bytesPerElement,
  dtypeOf,
  elementCount,
  type ReceivedTensor,
  splitFrames,
  type TensorDescriptor,
  type TensorInput,
} from './tensors.js';
import { parseHeader } from './validate.js';

export interface CodecOptions {
  /** When set, decoding refuses messages of any other run ('run-id-mismatch'). */
  readonly runId?: string;
  /**
   * When set, every message is signed with the key of its run (auth.ts deriveRunKey) and carries
   * a timestamp and nonce; every received message must verify and be fresh.
   */
  readonly secret?: Secret;
  /** Remembers accepted nonces; share one between codecs that replace each other (default: own). */
  readonly replayGuard?: ReplayGuard;
  readonly limits?: Partial<Limits>;
  /** Largest payload frame this side sends (≤ 16 MiB). */
  readonly frameBytes?: number;
}

export interface DecodedMessage {
  readonly message: Message;
  readonly tensors: readonly ReceivedTensor[];
}

/**
 * Frames of a message: [header, ...payload frames, signature?]. The header is msgpack (a fixed
 * binary layout for all-reduce chunks, see chunk-header.ts); each
 * payload tensor travels as raw bytes split into ≤ frameBytes frames right after it, in the order
 * of the header's `tensors` list. With a secret, a 24-byte trailer (timestamp, nonce) and the
 * 32-byte HMAC of everything before it come last.
 */
export class MessageCodec {
  readonly limits: Limits;
  private readonly runId: string | undefined;
  private readonly secret: Secret | undefined;
  private readonly frameBytes: number;
  private readonly keys = new Map<string, Buffer>();
  private readonly trailers = new TrailerSource();
  readonly replayGuard: ReplayGuard;

  constructor(options: CodecOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.runId = options.runId;
    this.secret = options.secret;
    if (this.secret !== undefined) checkSecret(this.secret);
    this.replayGuard = options.replayGuard ?? new ReplayGuard();
    this.frameBytes = options.frameBytes ?? Math.min(MAX_FRAME_BYTES, this.limits.maxFrameBytes);
    if (!Number.isSafeInteger(this.frameBytes) || this.frameBytes <= 0 || this.frameBytes > this.limits.maxFrameBytes) {
      throw new RangeError(`frameBytes must be in [1, ${this.limits.maxFrameBytes}]`);
    }
  }

  /**
   * Encodes a message and its tensors. Payload frames are views of the caller's arrays, not
   * copies: they must stay unmodified until the transport has sent them.
   */
  encode(message: Message, tensors: readonly TensorInput[] = []): Buffer[] {
    const descriptors: TensorDescriptor[] = [];
    const payload: Buffer[] = [];
    for (const [i, input] of tensors.entries()) {
      const dtype = dtypeOf(input.data);
      const shape = input.shape ?? [input.data.length];
      if (elementCount(shape) !== input.data.length) {
        throw new RangeError(
          `tensor ${input.name ?? i}: shape [${shape.join(', ')}] does not match ${input.data.length} elements`,
        );
      }
      const frames = splitFrames(asBytes(input.data), this.frameBytes);
      descriptors.push({ name: input.name ?? '', dtype, shape: [...shape], frames: frames.length });
      payload.push(...frames);
    }
    let head: Buffer;
    if (message.type === 'allreduce-chunk' && isChunkPayload(descriptors, message.length)) {
      // The hot path of the ring: a fixed binary header (chunk-header.ts), checked as strictly.
      head = encodeChunkHeader(message, payload.length, this.limits);
    } else {
      const header = { ...message, tensors: descriptors };
      // Refuse to send what a receiver would refuse: the error surfaces at the sender's call site.
      parseHeader(header, this.limits);
      head = packHeader(header);
    }
    const frames = [head, ...payload];
    this.checkSizes(frames);
    if (this.secret !== undefined) {
      frames.push(this.trailers.next());
      frames.push(signFrames(this.keyOf(message.runId), frames));
    }
    return frames;
  }

  /** Decodes and validates; throws only ProtocolError, whatever the input. */
  decode(frames: readonly Uint8Array[]): DecodedMessage {
    try {
      return this.decodeUnchecked(frames);
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError('malformed', error instanceof Error ? error.message.slice(0, 200) : 'undecodable');
    }
  }

  private decodeUnchecked(frames: readonly Uint8Array[]): DecodedMessage {
    if (!Array.isArray(frames) || frames.length === 0 || !frames.every((f) => f instanceof Uint8Array)) {
      throw new ProtocolError('malformed', 'a message is a non-empty list of byte frames');
    }
    const signed = this.secret !== undefined;
    const body: readonly Uint8Array[] = signed ? frames.slice(0, -2) : frames;
    this.checkSizes(body);
    if (body.length === 0) throw new ProtocolError('bad-signature', 'message signature missing or invalid');
    // A receiver pinned to its run knows the key and verifies before parsing anything; one that is
    // not (a coordinator taking joins, a worker before its welcome) reads the run id first to
    // select the key, and trusts nothing else before verification.
    if (signed && this.runId !== undefined) this.verify(frames, body, this.runId);

    const first = body[0] as Uint8Array;
    const binary = isChunkHeader(first);
    const raw: Record<string, unknown> = binary ? chunkEnvelope(first) : unpackHeader(first);
    if (raw['version'] !== PROTOCOL_VERSION) {
      const got = typeof raw['version'] === 'number' ? String(raw['version']) : 'none';
      throw new ProtocolError('version-mismatch', `protocol version ${got}, expected ${PROTOCOL_VERSION}`);
    }
    if (this.runId !== undefined && raw['runId'] !== this.runId) {
      const got = typeof raw['runId'] === 'string' ? JSON.stringify(raw['runId'].slice(0, 80)) : 'none';
      throw new ProtocolError('run-id-mismatch', `run id ${got}, expected ${JSON.stringify(this.runId)}`);
    }
    if (signed && this.runId === undefined) {
      const runId = raw['runId'];
      if (typeof runId !== 'string') throw new ProtocolError('bad-signature', 'message without a run id to verify');
      this.verify(frames, body, runId);
    }
    const { message, tensors: descriptors } = binary
      ? decodeChunkHeader(first, this.limits)
      : parseHeader(raw, this.limits);

    const payload = body.slice(1);
    const expected = descriptors.reduce((sum, d) => sum + d.frames, 0);
    if (payload.length !== expected) {
      if (
        this.secret === undefined &&
        payload.length === expected + 2 &&
        payload[expected]?.byteLength === TRAILER_BYTES &&
        payload[expected + 1]?.byteLength === SIGNATURE_BYTES
      ) {
        throw new ProtocolError('bad-signature', 'message is signed but no shared secret is configured');
      }
      throw new ProtocolError(
        'malformed',
        `header describes ${expected} payload frames, message has ${payload.length}`,
      );
    }
    const tensors: ReceivedTensor[] = [];
    let next = 0;
    for (const [i, descriptor] of descriptors.entries()) {
      const own = payload.slice(next, next + descriptor.frames);
      next += descriptor.frames;
      const byteLength = elementCount(descriptor.shape) * bytesPerElement(descriptor.dtype);
      const got = own.reduce((sum, f) => sum + f.byteLength, 0);
      if (got !== byteLength || own.some((f) => f.byteLength === 0)) {
        throw new ProtocolError(
          'malformed',
          `tensor ${i} (${descriptor.dtype} [${descriptor.shape.join(', ')}]) needs ${byteLength} bytes in non-empty frames, got ${got}`,
        );
      }
      tensors.push({ descriptor, byteLength, frames: own });
    }
    return { message, tensors };
  }

  /** Checks the tag over body and trailer with `runId`'s key, then the trailer's freshness. */
  private verify(frames: readonly Uint8Array[], body: readonly Uint8Array[], runId: string): void {
    const trailer = frames[frames.length - 2];
    const tag = frames[frames.length - 1] as Uint8Array;
    if (
      trailer === undefined ||
      trailer.byteLength !== TRAILER_BYTES ||
      !verifyFrames(this.keyOf(runId), [...body, trailer], tag)
    ) {
      throw new ProtocolError('bad-signature', 'message signature missing or invalid');
    }
    const stale = this.replayGuard.admit(trailer);
    if (stale !== undefined) throw new ProtocolError('replayed', stale);
  }

  /** The run's key, derived once per run id (a handful per codec: the guard keeps it bounded). */
  private keyOf(runId: string): Buffer {
    let key = this.keys.get(runId);
    if (key === undefined) {
      if (this.keys.size >= 16) this.keys.clear();
      key = deriveRunKey(this.secret as Secret, runId);
      this.keys.set(runId, key);
    }
    return key;
  }

  private checkSizes(frames: readonly Uint8Array[]): void {
    const limits = this.limits;
    if (frames.length > limits.maxFrames)
      throw new ProtocolError('oversize', `${frames.length} frames exceed ${limits.maxFrames}`);
    let total = 0;
    for (const [i, frame] of frames.entries()) {
      const max = i === 0 ? limits.maxHeaderBytes : limits.maxFrameBytes;
      if (frame.byteLength > max)
        throw new ProtocolError('oversize', `frame ${i} has ${frame.byteLength} bytes, limit ${max}`);
      total += frame.byteLength;
    }
    if (total > limits.maxMessageBytes)
      throw new ProtocolError('oversize', `message of ${total} bytes exceeds ${limits.maxMessageBytes}`);
  }
}

/** One-off encode with default limits; hot paths keep a MessageCodec. */
export function encodeMessage(
  message: Message,
  tensors: readonly TensorInput[] = [],
  options: CodecOptions = {},
): Buffer[] {
  return new MessageCodec(options).encode(message, tensors);
}

/** One-off decode; throws only ProtocolError. */
export function decodeMessage(frames: readonly Uint8Array[], options: CodecOptions = {}): DecodedMessage {
  return new MessageCodec(options).decode(frames);
}

/** One unnamed 1-D float32 tensor of the chunk's length: what the binary chunk header describes. */
function isChunkPayload(descriptors: readonly TensorDescriptor[], length: number): boolean {
  const only = descriptors[0];
  return (
    descriptors.length === 1 &&
    only !== undefined &&
    only.name === '' &&
    only.dtype === 'float32' &&
    only.shape.length === 1 &&
    only.shape[0] === length
  );
}
