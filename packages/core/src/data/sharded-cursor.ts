/**
 * The position arithmetic that tabular batches (data/batches.ts) and text windows
 * (data/text/text-windows.ts) share: a global batch of B items cut from a per-epoch order that
 * every rank computes alike, each rank keeping a contiguous shard (docs/architecture.md, "One
 * training step"). What an "item" is (a row, a window) and how an epoch is ordered stay with the
 * caller; this class only says which positions of that order the next step covers.
 *
 * The cursor `{ epoch, offset }` counts items, not batches, so it is independent of the world size
 * and of the batch size: a checkpoint resumes mid-epoch with another W or B.
 */

/** Position of the next global batch: the epoch, and the index into that epoch's order. */
export interface BatchCursor {
  epoch: number;
  offset: number;
}

/** How to cut batches; everything but `rank` must be equal on every rank. */
export interface ShardedCursorOptions {
  /** Global batch size B: items per step summed over all ranks. */
  batchSize: number;
  /** Seed of the per-epoch orders. */
  seed: number;
  /** Number of ranks W (default 1). */
  worldSize?: number;
  /** This process's rank in `[0, W)` (default 0). */
  rank?: number;
  /** Skip the incomplete last global batch of each epoch (default true). */
  dropLast?: boolean;
}

/** The positions one step covers, in the epoch's order. */
export interface ShardStep {
  epoch: number;
  /** 0-based index of the step within its epoch. */
  stepInEpoch: number;
  /** Position in the epoch's order where the global batch starts. */
  offset: number;
  /** Items in the whole step over all ranks (B, or fewer in a short last batch). */
  globalSize: number;
  /** Index of this rank's first item within the global batch. */
  shardStart: number;
  /** Items on this rank. */
  shardSize: number;
}

/**
 * Where rank `rank` of `worldSize` starts and how many items it takes from a global batch of
 * `globalSize`: contiguous shards whose sizes differ by at most one, the first
 * `globalSize mod worldSize` ranks taking the extra item.
 */
export function shardBounds(globalSize: number, worldSize: number, rank: number): { start: number; size: number } {
  const base = Math.floor(globalSize / worldSize);
  const extra = globalSize % worldSize;
  return { start: rank * base + Math.min(rank, extra), size: base + (rank < extra ? 1 : 0) };
}

/** Seeded, rank-sharded, resumable position over epochs of `itemsPerEpoch` items. */
export class ShardedCursor {
  readonly batchSize: number;
  readonly worldSize: number;
  readonly rank: number;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Global batches per epoch: `floor(n / B)` with `dropLast`, otherwise `ceil(n / B)`. */
  readonly stepsPerEpoch: number;
  private epoch = 0;
  private offset = 0;

  /**
   * @param owner names the caller in error messages (e.g. `ShardedBatches`).
   * @param itemsPerEpoch items in one epoch's order.
   * @param unit what an item is, plural, for messages (`examples`, `windows`).
   * @param tooSmall the message when not one batch fits in an epoch.
   */
  constructor(
    private readonly owner: string,
    readonly itemsPerEpoch: number,
    private readonly unit: string,
    options: ShardedCursorOptions,
    tooSmall: () => string,
  ) {
    this.batchSize = options.batchSize;
    this.worldSize = options.worldSize ?? 1;
    this.rank = options.rank ?? 0;
    this.seed = options.seed;
    this.dropLast = options.dropLast ?? true;
    this.checkInt('batchSize', this.batchSize, 1);
    this.checkInt('worldSize', this.worldSize, 1);
    this.checkInt('rank', this.rank, 0);
    if (!Number.isSafeInteger(this.seed))
      throw new RangeError(`${owner}: seed must be a safe integer, got ${this.seed}`);
    if (this.rank >= this.worldSize)
      throw new RangeError(`${owner}: rank ${this.rank} is outside [0, worldSize = ${this.worldSize})`);
    if (this.batchSize < this.worldSize) {
      throw new RangeError(
        `${owner}: batchSize ${this.batchSize} is smaller than worldSize ${this.worldSize}; some ranks would never get data`,
      );
    }
    this.stepsPerEpoch = this.dropLast
      ? Math.floor(itemsPerEpoch / this.batchSize)
      : Math.ceil(itemsPerEpoch / this.batchSize);
    if (this.stepsPerEpoch === 0) throw new RangeError(`${owner}: ${tooSmall()}`);
  }

  /** Position of the next step; store it in checkpoints. A fresh object each call. */
  cursor(): BatchCursor {
    return { epoch: this.epoch, offset: this.offset };
  }

  /**
   * Continues from a stored cursor, so the next {@link take} covers exactly the step that would
   * have followed when it was taken; offsets outside the epoch are refused.
   */
  restore(cursor: BatchCursor): void {
    const { epoch, offset } = cursor;
    if (!Number.isSafeInteger(epoch) || epoch < 0)
      throw new RangeError(`${this.owner}.restore: cursor epoch must be an integer >= 0, got ${epoch}`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.itemsPerEpoch) {
      throw new RangeError(
        `${this.owner}.restore: cursor offset ${offset} is outside the ${this.itemsPerEpoch} ${this.unit} of an epoch`,
      );
    }
    this.epoch = epoch;
    this.offset = offset;
  }

  /** The positions of the next step on this rank; advances, rolling over to the next epoch. */
  take(): ShardStep {
    if (this.epochDone(this.offset)) this.rollEpoch(); // a restored offset may leave no full batch
    const offset = this.offset;
    const globalSize = Math.min(this.batchSize, this.itemsPerEpoch - offset);
    const { start, size } = shardBounds(globalSize, this.worldSize, this.rank);
    const step: ShardStep = {
      epoch: this.epoch,
      stepInEpoch: Math.floor(offset / this.batchSize),
      offset,
      globalSize,
      shardStart: start,
      shardSize: size,
    };
    this.offset += this.batchSize;
    if (this.epochDone(this.offset)) this.rollEpoch();
    return step;
  }

  /** Whether no (complete, with dropLast) global batch starts at `offset` in this epoch. */
  private epochDone(offset: number): boolean {
    return this.dropLast ? offset + this.batchSize > this.itemsPerEpoch : offset >= this.itemsPerEpoch;
  }

  private rollEpoch(): void {
    this.epoch++;
    this.offset = 0;
  }

  private checkInt(name: string, v: number, min: number): void {
    if (!Number.isSafeInteger(v) || v < min)
      throw new RangeError(`${this.owner}: ${name} must be an integer >= ${min}, got ${v}`);
  }
}

/**
 * Base of the sources built on a {@link ShardedCursor} (tabular batches, text windows): their
 * settings and resumable position are the cursor's, so both expose them the same way.
 */
export abstract class ShardedSource {
  protected constructor(protected readonly position: ShardedCursor) {}

  /** Global batch size B, summed over ranks. */
  get batchSize(): number {
    return this.position.batchSize;
  }
  /** Number of ranks W sharing each global batch. */
  get worldSize(): number {
    return this.position.worldSize;
  }
  /** This process's rank; picks its shard of every global batch. */
  get rank(): number {
    return this.position.rank;
  }
  /** Seed of the per-epoch orders; equal on every rank. */
  get seed(): number {
    return this.position.seed;
  }
  /** Whether the incomplete last global batch of each epoch is skipped. */
  get dropLast(): boolean {
    return this.position.dropLast;
  }
  /** Global batches per epoch: `floor(n / B)` with `dropLast`, otherwise `ceil(n / B)`. */
  get stepsPerEpoch(): number {
    return this.position.stepsPerEpoch;
  }

  /** Position of the next step; store it in checkpoints. A fresh object each call. */
  cursor(): BatchCursor {
    return this.position.cursor();
  }

  /**
   * Continues from a stored cursor, so the next step is exactly the one that would have followed
   * when the cursor was taken. The offset counts items (examples, windows), not batches, so a
   * cursor taken with another global batch size (elastic training that keeps the per-worker
   * batch) resumes at the same item; offsets outside the epoch are refused.
   */
  restore(cursor: BatchCursor): void {
    this.position.restore(cursor);
  }
}
