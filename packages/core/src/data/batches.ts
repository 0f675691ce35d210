/**
 * Minibatches for synchronous data-parallel training (docs/architecture.md, "One training step").
 *
 * Every rank builds the same seeded permutation for an epoch from (seed, epoch) alone, cuts the
 * same global batch from it, and keeps only its own contiguous shard: no message is needed to
 * agree on the data, and the union of all shards of a step is exactly the batch a single process
 * would have drawn. The position is a small `{ epoch, offset }` cursor that does not depend on the
 * world size, so a checkpoint taken with W ranks resumes mid-epoch with any other W.
 */
import { Prng } from '../random/prng.js';
import { targetWidth, type Dataset } from './dataset.js';

/** Position of the next global batch: the epoch, and the index into that epoch's permutation. */
export interface BatchCursor {
  epoch: number;
  offset: number;
}

/** How to cut batches; the seed and batch size must be the same on every rank. */
export interface ShardedBatchesOptions {
  /** Global batch size B: examples per step summed over all ranks. */
  batchSize: number;
  /** Number of ranks W (default 1). */
  worldSize?: number;
  /** This process's rank in `[0, W)` (default 0). */
  rank?: number;
  /** Seed of the per-epoch permutations. */
  seed: number;
  /** Drop the incomplete last global batch of each epoch (default true), so every step has B examples. */
  dropLast?: boolean;
  /** Shuffle each epoch (default true); `false` walks rows in order, e.g. for evaluation. */
  shuffle?: boolean;
}

/** One rank's share of one step. */
export interface Batch<Y extends Int32Array | Float32Array = Int32Array | Float32Array> {
  /** Features of this rank's examples, `size × inputDim`, row-major; owned by the caller. */
  x: Float32Array;
  /** Class ids (`size`) or targets (`size × outputDim`) of the same examples. */
  y: Y;
  /** Examples on this rank; the all-reduce weights gradients by it. May be 0 in a short last batch. */
  size: number;
  /** Examples in the whole step over all ranks. */
  globalSize: number;
  /** Epoch this step belongs to. */
  epoch: number;
  /** 0-based index of this step within its epoch. */
  stepInEpoch: number;
  /** Index of this rank's first example within the global batch. */
  shardStart: number;
}

const TAG_BATCHES = 0x62617463;

/**
 * Where rank `rank` of `worldSize` starts and how many examples it takes from a global batch of
 * `globalSize`: contiguous shards whose sizes differ by at most one, the first
 * `globalSize mod worldSize` ranks taking the extra example.
 */
export function shardBounds(globalSize: number, worldSize: number, rank: number): { start: number; size: number } {
  const base = Math.floor(globalSize / worldSize);
  const extra = globalSize % worldSize;
  return { start: rank * base + Math.min(rank, extra), size: base + (rank < extra ? 1 : 0) };
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min)
    throw new RangeError(`ShardedBatches: ${name} must be an integer >= ${min}, got ${v}`);
}

/** Seeded, rank-sharded, resumable minibatches over one data set; see the module comment. */
export class ShardedBatches<T extends Dataset = Dataset> {
  /** Global batches per epoch: `floor(n / B)` with `dropLast`, otherwise `ceil(n / B)`. */
  readonly stepsPerEpoch: number;
  /** Global batch size B, summed over ranks. */
  readonly batchSize: number;
  /** Number of ranks W sharing each global batch. */
  readonly worldSize: number;
  /** This process's rank; picks its shard of every global batch. */
  readonly rank: number;
  /** Seed of the per-epoch permutations; equal on every rank. */
  readonly seed: number;
  /** Whether the incomplete last global batch of each epoch is skipped. */
  readonly dropLast: boolean;
  /** Whether epochs are permuted (false: rows in stored order). */
  readonly shuffle: boolean;
  private epoch = 0;
  private offset = 0;
  private permEpoch = -1;
  private perm = new Int32Array(0);

  constructor(
    /** The rows being batched; every rank must hold the identical data set. */
    readonly dataset: T,
    options: ShardedBatchesOptions,
  ) {
    this.batchSize = options.batchSize;
    this.worldSize = options.worldSize ?? 1;
    this.rank = options.rank ?? 0;
    this.seed = options.seed;
    this.dropLast = options.dropLast ?? true;
    this.shuffle = options.shuffle ?? true;
    checkInt('batchSize', this.batchSize, 1);
    checkInt('worldSize', this.worldSize, 1);
    checkInt('rank', this.rank, 0);
    if (!Number.isSafeInteger(this.seed))
      throw new RangeError(`ShardedBatches: seed must be a safe integer, got ${this.seed}`);
    if (this.rank >= this.worldSize)
      throw new RangeError(`ShardedBatches: rank ${this.rank} is outside [0, worldSize = ${this.worldSize})`);
    if (this.batchSize < this.worldSize) {
      throw new RangeError(
        `ShardedBatches: batchSize ${this.batchSize} is smaller than worldSize ${this.worldSize}; some ranks would never get data`,
      );
    }
    const n = dataset.n;
    this.stepsPerEpoch = this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    if (this.stepsPerEpoch === 0) {
      throw new RangeError(
        `ShardedBatches: data set '${dataset.name}' has ${n} examples, not enough for one batch of ${this.batchSize}${this.dropLast ? ' (dropLast is on)' : ''}`,
      );
    }
  }

  /** Position of the next step; store it in checkpoints. A fresh object each call. */
  cursor(): BatchCursor {
    return { epoch: this.epoch, offset: this.offset };
  }

  /**
   * Continues from a stored cursor, so the next {@link next} returns exactly the step that would
   * have followed when the cursor was taken. The offset counts examples, not batches, so a cursor
   * taken with another global batch size (elastic training that keeps the per-worker batch)
   * resumes at the same example; offsets outside the epoch are refused.
   */
  restore(cursor: BatchCursor): void {
    const { epoch, offset } = cursor;
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new RangeError(`ShardedBatches.restore: cursor epoch must be an integer >= 0, got ${epoch}`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.dataset.n) {
      throw new RangeError(
        `ShardedBatches.restore: cursor offset ${offset} is outside the ${this.dataset.n} examples of an epoch of '${this.dataset.name}'`,
      );
    }
    this.epoch = epoch;
    this.offset = offset;
  }

  /**
   * The order of rows in `epoch`, identical on every rank: a Fisher–Yates shuffle seeded by
   * (seed, epoch), or the identity when shuffling is off. Do not mutate the returned array.
   */
  permutation(epoch: number): Int32Array {
    if (epoch !== this.permEpoch) {
      const p = Int32Array.from({ length: this.dataset.n }, (_, i) => i);
      if (this.shuffle) Prng.fromKey(this.seed, TAG_BATCHES, epoch).shuffle(p);
      this.perm = p;
      this.permEpoch = epoch;
    }
    return this.perm;
  }

  /** This rank's shard of the next global batch; advances the cursor, rolling over to the next epoch. */
  next(): Batch<T['y']> {
    const ds = this.dataset;
    if (this.epochDone(this.offset)) this.rollEpoch(); // a restored offset may leave no full batch
    const epoch = this.epoch;
    const stepInEpoch = Math.floor(this.offset / this.batchSize);
    const globalSize = Math.min(this.batchSize, ds.n - this.offset);
    const { start, size } = shardBounds(globalSize, this.worldSize, this.rank);
    const perm = this.permutation(epoch);
    const d = ds.inputDim;
    const tw = targetWidth(ds);
    const x = new Float32Array(size * d);
    const y = (ds.task === 'classification' ? new Int32Array(size) : new Float32Array(size * tw)) as T['y'];
    for (let k = 0; k < size; k++) {
      const row = perm[this.offset + start + k];
      x.set(ds.x.subarray(row * d, (row + 1) * d), k * d);
      y.set(ds.y.subarray(row * tw, (row + 1) * tw), k * tw);
    }
    this.offset += this.batchSize;
    if (this.epochDone(this.offset)) this.rollEpoch();
    return { x, y, size, globalSize, epoch, stepInEpoch, shardStart: start };
  }

  /** Whether no (complete, with dropLast) global batch starts at `offset` in this epoch. */
  private epochDone(offset: number): boolean {
    return this.dropLast ? offset + this.batchSize > this.dataset.n : offset >= this.dataset.n;
  }

  private rollEpoch(): void {
    this.epoch++;
    this.offset = 0;
  }
}
