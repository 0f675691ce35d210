/**
 * Float32Arrays of tensors the native kernels made on the cpu backend, kept after tfjs disposes
 * them so the next output of the same length reuses the memory. Without it every kernel output is
 * a fresh ArrayBuffer: a Transformer step then allocates gigabytes, V8 runs hundreds of scavenges to
 * release them, and the kernel that first touches new pages pays their faults (measured in
 * packages/kernels-blas/README.md). PyTorch's caching allocator does the same for the same reason.
 *
 * Buffers come in size classes ({@link sizeClass}): an adaptive layer's width changes by a few
 * neurons from step to step, so exact lengths would rarely repeat; a tensor gets a view of exactly
 * its length over its class's buffer. When its own class has nothing free, a request borrows the
 * smallest free buffer of up to {@link BORROW_FACTOR} times its size: the forward pass frees
 * activations of some shapes and the backward pass asks for gradients of others, and without
 * borrowing the pool kept a set of buffers for each (1.9 GiB held for 1.1 GiB ever live at once in
 * the 102.6M preset's step, bench/README.md "Engine"). A caching allocator that splits blocks,
 * such as PyTorch's, avoids the same waste.
 *
 * A buffer is recycled only while nothing outside the native kernels can still see it: reading it
 * (dataSync / data) or handing it to any kernel of the cpu backend's own (which may return a view of
 * its input under another tensor) marks it escaped, and an escaped buffer is left to the GC.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Every class that has had a free list, ascending (for borrowing). */
  private readonly classes: number[] = [];
  private recyclable = new WeakSet<Float32Array>();
  private held = 0;
  private on = true;

  /** Off while the native kernels are unregistered: the backend's own kernels then see every buffer. */
  get active(): boolean {
    return this.on;
  }

  set active(on: boolean) {
    // Buffers handed out before switching off may be seen by unwrapped kernels meanwhile: none of
    // them is ever reused, even after switching on again.
    if (!on) this.recyclable = new WeakSet();
    this.on = on;
  }
  /** Buffers served from the pool / freshly allocated, since creation (for tests and benchmarks). */
  hits = 0;
  misses = 0;
  /** Bytes freshly allocated by misses, since creation. */
  missedBytes = 0;

  constructor(private readonly capBytes: number) {}

  /** Bytes held for reuse now. */
  get bytes(): number {
    return this.held;
  }

  /** A buffer of exactly `length` floats with arbitrary contents (the kernel overwrites all of it). */
  take(length: number): Float32Array {
    const size = sizeClass(length);
    const reused = this.free.get(size)?.pop() ?? this.borrow(size);
    let out: Float32Array;
    if (reused) {
      this.held -= reused.buffer.byteLength;
      this.hits++;
      out = reused.length === length ? reused : new Float32Array(reused.buffer, 0, length);
    } else {
      this.misses++;
      this.missedBytes += 4 * size;
      out = size === length ? new Float32Array(length) : new Float32Array(new ArrayBuffer(4 * size), 0, length);
    }
    if (this.on) this.recyclable.add(out);
    return out;
  }

  /** The smallest free buffer of a larger class within the borrowing factor. */
  private borrow(size: number): Float32Array | undefined {
    if (size <= 4096) return undefined;
    const limit = size * BORROW_FACTOR;
    for (let i = insertionIndex(this.classes, size + 1); i < this.classes.length && this.classes[i] <= limit; i++) {
      const buffer = this.free.get(this.classes[i])!.pop();
      if (buffer) return buffer;
    }
    return undefined;
  }

  /** The buffer was seen outside the native kernels: never reuse it. */
  escape(values: unknown): void {
    if (values instanceof Float32Array) this.recyclable.delete(values);
  }

  /** tfjs released the tensor holding `values`; keep it for reuse if it never escaped and fits. */
  release(values: unknown): void {
    if (!(values instanceof Float32Array) || !this.recyclable.has(values)) return;
    this.recyclable.delete(values);
    const bytes = values.buffer.byteLength;
    if (!this.on || values.length === 0 || this.held + bytes > this.capBytes) return;
    const size = bytes / 4; // the class it was allocated for (take)
    let list = this.free.get(size);
    if (!list) {
      this.free.set(size, (list = []));
      this.classes.splice(insertionIndex(this.classes, size), 0, size);
    }
    list.push(values);
    this.held += bytes;
  }

  /** Drops every held buffer (the GC frees them). */
  clear(): void {
    this.free.clear();
    this.classes.length = 0;
    this.held = 0;
  }
}

/** How much larger than its own class a borrowed buffer may be. */
export const BORROW_FACTOR = 2;

function insertionIndex(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The pool's size class of a buffer of `length` floats: exact up to 4096, above that rounded up to
 * 1/16 of its power of two (at most 6.25 % unused), so [batch · tokens, width] activations of
 * nearby widths share buffers.
 */
export function sizeClass(length: number): number {
  if (length <= 4096) return length;
  const step = 2 ** (Math.floor(Math.log2(length)) - 4);
  return Math.ceil(length / step) * step;
}

/** Pool cap: AWN_CPU_POOL_MB megabytes (default 2048; 0 turns reuse off). */
export function poolCapBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mb = env.AWN_CPU_POOL_MB === undefined ? 2048 : Number(env.AWN_CPU_POOL_MB);
  return Number.isFinite(mb) && mb >= 0 ? mb * 1024 * 1024 : 2048 * 1024 * 1024;
}
