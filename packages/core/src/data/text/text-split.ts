/**
 * A split of byte text as the experiment sees it. `n` counts training-sized windows so that
 * "examples" mean the same for text as for tabular data (epochs = steps · batch / n).
 */
export interface TextSplit {
  kind: 'text';
  /** Human-readable name, e.g. `moby-dick/validation`. */
  name: string;
  bytes: Uint8Array;
  /** Window length the run trains on. */
  sequenceLength: number;
  /** Non-overlapping windows of `sequenceLength` in the split. */
  n: number;
  /** Bytes predicted when the whole split is scored (all but the first). */
  tokens: number;
}

/** Wraps bytes as a {@link TextSplit}. */
export function textSplit(name: string, bytes: Uint8Array, sequenceLength: number): TextSplit {
  if (!Number.isInteger(sequenceLength) || sequenceLength < 1)
    throw new RangeError(`${name}: sequenceLength must be a positive integer, got ${sequenceLength}`);
  if (bytes.length < 2) throw new RangeError(`${name}: a text split needs at least 2 bytes, got ${bytes.length}`);
  return {
    kind: 'text',
    name,
    bytes,
    sequenceLength,
    n: Math.floor((bytes.length - 1) / sequenceLength),
    tokens: bytes.length - 1,
  };
}

/** Whether a split is text (as opposed to a tabular `Dataset`). */
export function isTextSplit(split: { name: string } | undefined): split is TextSplit {
  return (split as TextSplit | undefined)?.kind === 'text';
}
