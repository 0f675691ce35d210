/**
 * Seeded random windows of a byte text for synchronous data-parallel training, built the same
 * way as `ShardedBatches` builds tabular batches (data/batches.ts).
 *
 * An epoch cuts the text into non-overlapping windows of `sequenceLength` starting at a random
 * phase, and visits them in a random order; both come from (seed, epoch) alone, so every rank
 * computes the same global batch and keeps its contiguous shard, and the union of the shards of a
 * step is exactly the batch one process would draw. The cursor `{ epoch, offset }` does not
 * depend on the world size.
 */
import { ShardedCursor, ShardedSource } from '../sharded-cursor.js';
import { Prng } from '../../random/prng.js';

/** How to cut windows; everything but `rank` must be equal on every rank. */
export interface TextWindowsOptions {
  /** Tokens per window T: the model reads T bytes and predicts the T bytes shifted by one. */
  sequenceLength: number;
  /** Global batch size B in windows, summed over ranks. */
  batchSize: number;
  seed: number;
  worldSize?: number;
  rank?: number;
}

/** One rank's share of a step: inputs and next-byte targets, row-major [size, T]. */
export interface TextBatch {
  inputs: Int32Array;
  targets: Int32Array;
  size: number;
  globalSize: number;
  epoch: number;
  stepInEpoch: number;
  shardStart: number;
}

const TAG_TEXT = 0x74657874;

/** Seeded, rank-sharded, resumable windows over one text; see the module comment. */
export class TextWindows extends ShardedSource {
  readonly sequenceLength: number;
  /** Windows per epoch: the same for every phase, so epochs have equal length. */
  readonly windowsPerEpoch: number;
  private startsEpoch = -1;
  private starts = new Int32Array(0);

  constructor(
    /** The text; every rank must hold identical bytes. */
    readonly text: Uint8Array,
    options: TextWindowsOptions,
  ) {
    const T = options.sequenceLength;
    if (!Number.isSafeInteger(T) || T < 1)
      throw new RangeError(`TextWindows: sequenceLength must be an integer >= 1, got ${T}`);
    // A window needs T + 1 bytes (inputs and the shifted targets); the phase takes up to T − 1.
    const windowsPerEpoch = Math.max(0, Math.floor((text.length - T) / T));
    super(
      new ShardedCursor(
        'TextWindows',
        windowsPerEpoch,
        'windows',
        { ...options, dropLast: true },
        () =>
          `a text of ${text.length} bytes holds ${windowsPerEpoch} windows of ${T}, not enough for a batch of ${options.batchSize}`,
      ),
    );
    this.sequenceLength = T;
    this.windowsPerEpoch = windowsPerEpoch;
  }

  /** Start byte of every window of `epoch` in visiting order, identical on every rank. */
  windowStarts(epoch: number): Int32Array {
    if (epoch !== this.startsEpoch) {
      const prng = Prng.fromKey(this.seed, TAG_TEXT, epoch);
      const phase = prng.int(this.sequenceLength);
      const starts = Int32Array.from({ length: this.windowsPerEpoch }, (_, k) => phase + k * this.sequenceLength);
      this.starts = prng.shuffle(starts);
      this.startsEpoch = epoch;
    }
    return this.starts;
  }

  /** This rank's shard of the next global batch; advances the cursor, rolling over epochs. */
  next(): TextBatch {
    const T = this.sequenceLength;
    const { epoch, stepInEpoch, offset, globalSize, shardStart, shardSize: size } = this.position.take();
    const starts = this.windowStarts(epoch);
    const inputs = new Int32Array(size * T);
    const targets = new Int32Array(size * T);
    for (let k = 0; k < size; k++) {
      const s = starts[offset + shardStart + k];
      inputs.set(this.text.subarray(s, s + T), k * T);
      targets.set(this.text.subarray(s + 1, s + T + 1), k * T);
    }
    return { inputs, targets, size, globalSize, epoch, stepInEpoch, shardStart };
  }
}
