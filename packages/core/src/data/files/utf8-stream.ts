import { createReadStream } from 'node:fs';
import { DataFileError, describeOpenError } from './data-file-error.js';

/** Bytes per read: large files pass through in pieces of this size, never as one string. */
const CHUNK_BYTES = 1 << 20;

/**
 * Length of the valid UTF-8 prefix of `bytes` (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
 * With `final` false an incomplete sequence at the end is not an error: the prefix stops before it.
 * Returns `{ valid, bad }` where `bad` is true when a real error (not a truncated tail) stops it.
 */
export function validUtf8Prefix(bytes: Uint8Array, final: boolean): { valid: number; bad: boolean } {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return { valid: i, bad: true };
    if (i + need >= n) {
      // The sequence runs past the end: an error only at the end of the file.
      let ok = true;
      for (let k = 1; i + k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) ok = false;
      return { valid: i, bad: final || !ok };
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return { valid: i, bad: true };
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { valid: i, bad: true };
    i += need + 1;
  }
  return { valid: n, bad: false };
}

/** Line (1-based) and byte column (1-based) of `offset` given the text before it. */
class Position {
  line = 1;
  column = 1;
  advance(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === 0x0a) {
        this.line++;
        this.column = 1;
      } else if ((b & 0xc0) !== 0x80) this.column++;
    }
  }
}

/**
 * Streams a file as validated UTF-8 byte chunks (each ends on a character boundary). Invalid
 * UTF-8 is a {@link DataFileError} naming the line and column of the first bad byte; a missing
 * file names the path and, since every worker reads its own copy, says it must exist everywhere.
 */
export async function* readUtf8Chunks(file: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const position = new Position();
  let carry = new Uint8Array(0);
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      const bytes = carry.length
        ? concat(carry, piece)
        : new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength);
      const { valid, bad } = validUtf8Prefix(bytes, false);
      if (bad) throw invalid(file, position, bytes, valid);
      const whole = bytes.subarray(0, valid);
      position.advance(whole);
      carry = bytes.slice(valid);
      if (whole.length) yield whole;
    }
  } catch (error) {
    if (error instanceof DataFileError) throw error;
    throw describeOpenError(file, error as NodeJS.ErrnoException);
  }
  if (carry.length) throw invalid(file, position, carry, 0);
}

function invalid(file: string, position: Position, bytes: Uint8Array, valid: number): DataFileError {
  position.advance(bytes.subarray(0, valid));
  return new DataFileError(
    file,
    `invalid UTF-8 (byte 0x${bytes[valid].toString(16).padStart(2, '0')}); data files must be UTF-8 text`,
    position.line,
    String(position.column),
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Streams a file as validated UTF-8 text pieces (decoded chunk by chunk). */
export async function* readUtf8Text(file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: false });
  for await (const chunk of readUtf8Chunks(file)) yield decoder.decode(chunk, { stream: true });
}
