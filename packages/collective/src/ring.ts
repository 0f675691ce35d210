/** Contiguous slice of a bucket, in elements. */
export interface Span {
  readonly offset: number;
  readonly length: number;
}

/**
 * The N segments of a ring all-reduce: as equal as possible, the first (length mod N) one element
 * longer. Every rank derives the same layout from (length, N), so no layout travels on the wire.
 */
export function ringSegments(length: number, worldSize: number): Span[] {
  const base = Math.floor(length / worldSize);
  const extra = length % worldSize;
  const spans: Span[] = [];
  let offset = 0;
  for (let k = 0; k < worldSize; k++) {
    const size = base + (k < extra ? 1 : 0);
    spans.push({ offset, length: size });
    offset += size;
  }
  return spans;
}

/**
 * Chunks of a span, at most `chunkElements` each. An empty span still has one empty chunk, so
 * every ring step sends at least one message and headers (weights included) always travel.
 */
export function spanChunks(span: Span, chunkElements: number): Span[] {
  if (span.length === 0) return [{ offset: span.offset, length: 0 }];
  const chunks: Span[] = [];
  for (let at = 0; at < span.length; at += chunkElements) {
    chunks.push({ offset: span.offset + at, length: Math.min(chunkElements, span.length - at) });
  }
  return chunks;
}

export function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/**
 * The sum a ring all-reduce computes for every element, in its exact order: segment k's
 * partial sum starts at rank k and accumulates ranks k+1, k+2, ... in float32. Tests compare the
 * collective's result with this bit for bit.
 */
export function ringReferenceSum(inputs: readonly Float32Array[]): Float32Array {
  const worldSize = inputs.length;
  const length = inputs[0]?.length ?? 0;
  const out = new Float32Array(length);
  for (const [k, span] of ringSegments(length, worldSize).entries()) {
    for (let i = span.offset; i < span.offset + span.length; i++) {
      let acc = inputs[k]![i]!;
      for (let j = 1; j < worldSize; j++) acc = Math.fround(acc + inputs[(k + j) % worldSize]![i]!);
      out[i] = acc;
    }
  }
  return out;
}
