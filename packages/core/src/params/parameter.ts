/**
 * A trainable parameter kept on the host in a capacity buffer.
 *
 * The active block (what the model uses now) is a prefix of a larger allocation, so a width
 * change of a few neurons moves no memory: growing inside capacity only initialises the new
 * entries, shrinking only narrows the active shape. Optimizer state lives beside the values in
 * "slots" with the same layout, which is what lets a resize keep Adam's moments of the retained
 * entries bit for bit while zeroing new ones (tfjs's own optimizers key state by position and
 * break on resize).
 */

/** Role of a parameter; decides which prior applies to it. */
export type ParameterRole = 'weight' | 'bias' | 'rate' | 'norm' | 'embedding';

/** Fills the entries of a newly activated region: called once per new (row, col). */
export type Initializer = (row: number, col: number) => number;

/** Geometric growth factor of the capacity buffer when the active block outgrows it. */
export const CAPACITY_GROWTH = 1.5;

let initializing = true;

/**
 * Runs `build` with parameters left at zero instead of initialised (constructors and resizes skip
 * their initializers). For models whose every value is written right after: one loaded from a
 * checkpoint, a truncated copy. Drawing a 100M-parameter model's values costs ~7 s that would be
 * thrown away (bench/README.md, "The end of a run"). Growth draws are keyed by step, not by a
 * stream's position, so skipping them changes no later draw.
 */
export function withoutInitialValues<T>(build: () => T): T {
  const outer = initializing;
  initializing = false;
  try {
    return build();
  } finally {
    initializing = outer;
  }
}

/** One trainable tensor: values and optimizer slots in a capacity buffer whose active prefix the model uses. */
export class Parameter {
  readonly name: string;
  readonly role: ParameterRole;
  /** 1 for vectors (shape [cols]), 2 for matrices (shape [rows, cols]). */
  readonly rank: 1 | 2;
  private capRows: number;
  private capCols: number;
  private rowsActive: number;
  private colsActive: number;
  private values: Float32Array;
  private readonly slotBuffers = new Map<string, Float32Array>();
  /** How many times the capacity buffer had to be reallocated (for benchmarks and tests). */
  reallocations = 0;
  /** Frozen parameters get a zero gradient (e.g. a rate held fixed). */
  frozen = false;

  /**
   * @param shape active shape: [n] for a vector or scalar-as-[1], [rows, cols] for a matrix
   * @param capacity optional capacity shape (≥ shape); defaults to the active shape
   */
  constructor(name: string, role: ParameterRole, shape: number[], init: Initializer, capacity?: number[]) {
    if (shape.length !== 1 && shape.length !== 2)
      throw new RangeError(`parameter ${name}: rank must be 1 or 2, got shape [${shape}]`);
    for (const d of shape)
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`parameter ${name}: bad dimension ${d}`);
    this.name = name;
    this.role = role;
    this.rank = shape.length as 1 | 2;
    this.rowsActive = this.rank === 2 ? shape[0] : 1;
    this.colsActive = this.rank === 2 ? shape[1] : shape[0];
    const cap = capacity ?? shape;
    this.capRows = Math.max(this.rowsActive, this.rank === 2 ? cap[0] : 1);
    this.capCols = Math.max(this.colsActive, this.rank === 2 ? cap[1] : cap[0]);
    this.values = new Float32Array(this.capRows * this.capCols);
    if (!initializing) return;
    for (let i = 0; i < this.rowsActive; i++) {
      for (let j = 0; j < this.colsActive; j++) this.values[i * this.capCols + j] = init(i, j);
    }
  }

  /** Active shape as tfjs expects it. */
  get shape(): number[] {
    return this.rank === 2 ? [this.rowsActive, this.colsActive] : [this.colsActive];
  }

  /** Capacity shape of the underlying buffer. */
  get capacity(): number[] {
    return this.rank === 2 ? [this.capRows, this.capCols] : [this.capCols];
  }

  /** Number of active entries. */
  get size(): number {
    return this.rowsActive * this.colsActive;
  }

  /** The active block, packed row-major into `out` (or a new array). */
  read(out?: Float32Array): Float32Array {
    return this.readBuffer(this.values, out);
  }

  /** Replaces the active block from a packed row-major array. */
  write(packed: ArrayLike<number>): void {
    if (packed.length !== this.size)
      throw new RangeError(`parameter ${this.name}: write of ${packed.length} values into ${this.size}`);
    writeRows(this.values, packed, this.rowsActive, this.colsActive, this.capCols);
  }

  /** Scalar parameters (rates) as a number. */
  get scalar(): number {
    if (this.size !== 1) throw new RangeError(`parameter ${this.name} is not a scalar`);
    return this.values[0];
  }

  set scalar(v: number) {
    if (this.size !== 1) throw new RangeError(`parameter ${this.name} is not a scalar`);
    this.values[0] = v;
  }

  /** Optimizer state with this parameter's layout, created zeroed on first use. */
  slot(slotName: string): Float32Array {
    let s = this.slotBuffers.get(slotName);
    if (!s) {
      s = new Float32Array(this.capRows * this.capCols);
      this.slotBuffers.set(slotName, s);
    }
    return s;
  }

  /** Names of the slots that exist. */
  slotNames(): string[] {
    return [...this.slotBuffers.keys()];
  }

  /** Active block of a slot, packed. */
  readSlot(slotName: string, out?: Float32Array): Float32Array {
    return this.readBuffer(this.slot(slotName), out);
  }

  /** Replaces the active block of a slot from a packed array. */
  writeSlot(slotName: string, packed: ArrayLike<number>): void {
    const s = this.slot(slotName);
    if (packed.length !== this.size)
      throw new RangeError(
        `parameter ${this.name}: slot ${slotName} write of ${packed.length} values into ${this.size}`,
      );
    writeRows(s, packed, this.rowsActive, this.colsActive, this.capCols);
  }

  /**
   * Visits every active entry as (bufferIndex, packedIndex), so optimizers can update values and
   * slots in place from a packed gradient without building intermediate arrays.
   */
  forEachActive(visit: (bufferIndex: number, packedIndex: number) => void): void {
    const cols = this.colsActive;
    for (let i = 0; i < this.rowsActive; i++) {
      const base = i * this.capCols;
      const packedBase = i * cols;
      for (let j = 0; j < cols; j++) visit(base + j, packedBase + j);
    }
  }

  /**
   * Makes this parameter's values a view of the leading block of `source`'s buffer, with no copy:
   * each point of a truncation curve scores such a view of the trained model instead of copying
   * up to the whole model (seconds of page faults per point at 100M parameters). Both then see
   * every later write, so only read-only uses (evaluation) may take it. Slots are not shared.
   */
  aliasLeadingBlockOf(source: Parameter): void {
    if (source.rank !== this.rank || this.rowsActive > source.rowsActive || this.colsActive > source.colsActive)
      throw new RangeError(`cannot alias parameter ${source.name} [${source.shape}] as [${this.shape}]`);
    this.values = source.values;
    this.capRows = source.capRows;
    this.capCols = source.capCols;
    this.slotBuffers.clear();
  }

  /** Raw capacity buffers for fused optimizer loops: values, row stride, active shape. */
  buffers(): { values: Float32Array; stride: number; rows: number; cols: number } {
    return { values: this.values, stride: this.capCols, rows: this.rowsActive, cols: this.colsActive };
  }

  /**
   * Changes the active shape. Retained entries (values and every slot) keep their bits; new
   * entries get `init` for values and zero for slots, even if the region was active before and
   * then shrunk away (so no stale state returns). Reallocates only when capacity is exceeded.
   */
  resize(shape: number[], init: Initializer): void {
    if (shape.length !== this.rank) throw new RangeError(`parameter ${this.name}: resize to rank ${shape.length}`);
    const rows = this.rank === 2 ? shape[0] : 1;
    const cols = this.rank === 2 ? shape[1] : shape[0];
    if (rows > this.capRows || cols > this.capCols)
      this.grow(Math.max(rows, this.capRows), Math.max(cols, this.capCols), rows, cols);
    const oldRows = this.rowsActive;
    const oldCols = this.colsActive;
    const slots = [...this.slotBuffers.values()];
    for (let i = 0; i < rows; i++) {
      const base = i * this.capCols;
      for (let j = i < oldRows ? oldCols : 0; j < cols; j++) {
        this.values[base + j] = initializing ? init(i, j) : 0;
        for (const s of slots) s[base + j] = 0;
      }
    }
    this.rowsActive = rows;
    this.colsActive = cols;
  }

  private grow(minRows: number, minCols: number, rows: number, cols: number): void {
    // Only dimensions that overflowed grow geometrically; the others keep their capacity.
    const newRows = rows > this.capRows ? Math.max(minRows, Math.ceil(this.capRows * CAPACITY_GROWTH)) : this.capRows;
    const newCols = cols > this.capCols ? Math.max(minCols, Math.ceil(this.capCols * CAPACITY_GROWTH)) : this.capCols;
    const move = (old: Float32Array): Float32Array => {
      const next = new Float32Array(newRows * newCols);
      for (let i = 0; i < this.rowsActive; i++) {
        next.set(old.subarray(i * this.capCols, i * this.capCols + this.colsActive), i * newCols);
      }
      return next;
    };
    this.values = move(this.values);
    for (const [k, s] of this.slotBuffers) this.slotBuffers.set(k, move(s));
    this.capRows = newRows;
    this.capCols = newCols;
    this.reallocations++;
  }

  private readBuffer(buffer: Float32Array, out?: Float32Array): Float32Array {
    const result = out ?? new Float32Array(this.size);
    if (result.length < this.size)
      throw new RangeError(`parameter ${this.name}: output of ${result.length} < ${this.size}`);
    if (this.colsActive === this.capCols) {
      result.set(buffer.subarray(0, this.size));
      return result;
    }
    for (let i = 0; i < this.rowsActive; i++) {
      result.set(buffer.subarray(i * this.capCols, i * this.capCols + this.colsActive), i * this.colsActive);
    }
    return result;
  }
}

/** Copies a packed [rows, cols] block into a buffer of row stride `stride` (a row at a time for typed arrays). */
function writeRows(buffer: Float32Array, packed: ArrayLike<number>, rows: number, cols: number, stride: number): void {
  if (packed instanceof Float32Array) {
    if (cols === stride) buffer.set(packed.subarray(0, rows * cols));
    else for (let i = 0; i < rows; i++) buffer.set(packed.subarray(i * cols, (i + 1) * cols), i * stride);
    return;
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) buffer[i * stride + j] = packed[i * cols + j];
}
