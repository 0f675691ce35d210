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
import { ShardedCursor, ShardedSource, type ShardedCursorOptions } from './sharded-cursor.js';

export { shardBounds, type BatchCursor } from './sharded-cursor.js';

/** How to cut batches; the seed and batch size must be the same on every rank. */
export interface ShardedBatchesOptions extends ShardedCursorOptions {
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

/** Seeded, rank-sharded, resumable minibatches over one data set; see the module comment. */
export class ShardedBatches<T extends Dataset = Dataset> extends ShardedSource {
  /** Whether epochs are permuted (false: rows in stored order). */
  readonly shuffle: boolean;
  private permEpoch = -1;
  private perm = new Int32Array(0);

  constructor(
    /** The rows being batched; every rank must hold the identical data set. */
    readonly dataset: T,
    options: ShardedBatchesOptions,
  ) {
    super(
      new ShardedCursor(
        'ShardedBatches',
        dataset.n,
        'examples',
        options,
        () =>
          `data set '${dataset.name}' has ${dataset.n} examples, not enough for one batch of ${options.batchSize}${(options.dropLast ?? true) ? ' (dropLast is on)' : ''}`,
      ),
    );
    this.shuffle = options.shuffle ?? true;
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
    const { epoch, stepInEpoch, offset, globalSize, shardStart, shardSize: size } = this.position.take();
    const perm = this.permutation(epoch);
    const d = ds.inputDim;
    const tw = targetWidth(ds);
    const x = new Float32Array(size * d);
    const y = (ds.task === 'classification' ? new Int32Array(size) : new Float32Array(size * tw)) as T['y'];
    for (let k = 0; k < size; k++) {
      const row = perm[offset + shardStart + k];
      x.set(ds.x.subarray(row * d, (row + 1) * d), k * d);
      y.set(ds.y.subarray(row * tw, (row + 1) * tw), k * tw);
    }
    return { x, y, size, globalSize, epoch, stepInEpoch, shardStart };
  }
}
