/**
 * Byte-level tokenizer: a token is one UTF-8 byte, so the vocabulary is 256, nothing is trained,
 * any text round-trips, and the loss per token is directly bits (or nats) per byte.
 */

/** Number of distinct tokens. */
export const BYTE_VOCABULARY_SIZE = 256;

/** UTF-8 bytes of a text: its token ids. */
export function encodeBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Text of token ids; invalid UTF-8 (a sample cut mid-character) decodes to U+FFFD. */
export function decodeBytes(tokens: ArrayLike<number>): string {
  return new TextDecoder().decode(Uint8Array.from(tokens as ArrayLike<number>));
}
