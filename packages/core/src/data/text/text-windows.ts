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
import { shardBounds, type BatchCursor } from '../batches.js';
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

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min)
    throw new RangeError(`TextWindows: ${name} must be an integer >= ${min}, got ${v}`);
}

/** Seeded, rank-sharded, resumable windows over one text; see the module comment. */
export class TextWindows {
  readonly sequenceLength: number;
  readonly batchSize: number;
  readonly worldSize: number;
  readonly rank: number;
  readonly seed: number;
  /** Windows per epoch: the same for every phase, so epochs have equal length. */
  readonly windowsPerEpoch: number;
  /** Global batches per epoch (an incomplete last batch is dropped). */
  readonly stepsPerEpoch: number;
  private epoch = 0;
  private offset = 0;
  private startsEpoch = -1;
  private starts = new Int32Array(0);

  constructor(
    /** The text; every rank must hold identical bytes. */
    readonly text: Uint8Array,
    options: TextWindowsOptions,
  ) {
    this.sequenceLength = options.sequenceLength;
    this.batchSize = options.batchSize;
    this.worldSize = options.worldSize ?? 1;
    this.rank = options.rank ?? 0;
    this.seed = options.seed;
    checkInt('sequenceLength', this.sequenceLength, 1);
    checkInt('batchSize', this.batchSize, 1);
    checkInt('worldSize', this.worldSize, 1);
    checkInt('rank', this.rank, 0);
    if (!Number.isSafeInteger(this.seed))
      throw new RangeError(`TextWindows: seed must be a safe integer, got ${this.seed}`);
    if (this.rank >= this.worldSize)
      throw new RangeError(`TextWindows: rank ${this.rank} is outside [0, worldSize = ${this.worldSize})`);
    if (this.batchSize < this.worldSize)
      throw new RangeError(`TextWindows: batchSize ${this.batchSize} is smaller than worldSize ${this.worldSize}`);
    // A window needs T + 1 bytes (inputs and the shifted targets); the phase takes up to T − 1.
    this.windowsPerEpoch = Math.floor((text.length - this.sequenceLength) / this.sequenceLength);
    this.stepsPerEpoch = Math.floor(this.windowsPerEpoch / this.batchSize);
    if (this.stepsPerEpoch === 0) {
      throw new RangeError(
        `TextWindows: a text of ${text.length} bytes holds ${this.windowsPerEpoch} windows of ${this.sequenceLength}, not enough for a batch of ${this.batchSize}`,
      );
    }
  }

  /** Position of the next step; store it in checkpoints. */
  cursor(): BatchCursor {
    return { epoch: this.epoch, offset: this.offset };
  }

  /**
   * Continues from a stored cursor. The offset counts windows, not batches, so a cursor taken with
   * another global batch size resumes at the same window; offsets outside the epoch are refused.
   */
  restore(cursor: BatchCursor): void {
    const { epoch, offset } = cursor;
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new RangeError(`TextWindows.restore: cursor epoch must be an integer >= 0, got ${epoch}`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.windowsPerEpoch) {
      throw new RangeError(
        `TextWindows.restore: cursor offset ${offset} is outside the ${this.windowsPerEpoch} windows of an epoch`,
      );
    }
    this.epoch = epoch;
    this.offset = offset;
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
    // A restored offset may leave no full batch in its epoch (the last incomplete one is dropped).
    if (this.offset + this.batchSize > this.windowsPerEpoch) {
      this.epoch++;
      this.offset = 0;
    }
    const epoch = this.epoch;
    const stepInEpoch = Math.floor(this.offset / this.batchSize);
    const { start, size } = shardBounds(this.batchSize, this.worldSize, this.rank);
    const starts = this.windowStarts(epoch);
    const inputs = new Int32Array(size * T);
    const targets = new Int32Array(size * T);
    for (let k = 0; k < size; k++) {
      const s = starts[this.offset + start + k];
      inputs.set(this.text.subarray(s, s + T), k * T);
      targets.set(this.text.subarray(s + 1, s + T + 1), k * T);
    }
    this.offset += this.batchSize;
    if (this.offset + this.batchSize > this.windowsPerEpoch) {
      this.epoch++;
      this.offset = 0;
    }
    return { inputs, targets, size, globalSize: this.batchSize, epoch, stepInEpoch, shardStart: start };
  }
}
