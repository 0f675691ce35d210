/** Wire protocol version; a peer speaking another version is refused, never half-understood. */
export const PROTOCOL_VERSION = 1;

/** 16 MiB: above this ZeroMQ receives land in fresh pages and throughput collapses (measured with bench/allreduce.bench.mjs). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface Limits {
  /** Largest header (msgpack) frame. */
  readonly maxHeaderBytes: number;
  /** Largest raw payload frame. */
  readonly maxFrameBytes: number;
  /** Largest sum of all frames of one message. */
  readonly maxMessageBytes: number;
  /** Most frames in one message, header and signature included. */
  readonly maxFrames: number;
  /** Most tensors described by one header. */
  readonly maxTensors: number;
  /** Longest string field (characters). */
  readonly maxStringLength: number;
  /** Longest array field (elements), shapes and peer lists included. */
  readonly maxArrayLength: number;
  /** Deepest nesting of free-form JSON (config, labels). */
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxHeaderBytes: 4 * 1024 * 1024,
  maxFrameBytes: MAX_FRAME_BYTES,
  maxMessageBytes: 2 * 1024 * 1024 * 1024,
  maxFrames: 4096,
  maxTensors: 4096,
  maxStringLength: 1024 * 1024,
  maxArrayLength: 1 << 20,
  maxDepth: 32,
});

export function resolveLimits(overrides?: Partial<Limits>): Limits {
  if (!overrides) return DEFAULT_LIMITS;
  const merged = { ...DEFAULT_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(merged)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`protocol limit ${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (merged.maxFrameBytes > MAX_FRAME_BYTES) {
    throw new RangeError(`protocol limit maxFrameBytes must be at most ${MAX_FRAME_BYTES}`);
  }
  return Object.freeze(merged);
}
