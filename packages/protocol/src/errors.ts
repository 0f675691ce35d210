/** Why a message was refused. Stable strings: callers count and log by them. */
export type ProtocolErrorCode =
  | 'version-mismatch'
  | 'run-id-mismatch'
  | 'malformed'
  | 'oversize'
  | 'unknown-type'
  | 'bad-signature'
  /** Signed correctly but seen before, or signed outside the replay window (auth.ts). */
  | 'replayed';

/**
 * The only error the decoder throws. Receivers drop the message and count `code`; nothing about
 * a hostile or corrupt frame may crash a process, so every failure path funnels into this class.
 */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}
