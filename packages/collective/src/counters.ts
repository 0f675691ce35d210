import type { ProtocolErrorCode } from '@awn/protocol';

/** Why a received message was dropped without reaching a collective. */
export type DropReason = ProtocolErrorCode | 'stale-generation' | 'unexpected-sender' | 'unexpected-type';

export interface CollectiveCounters {
  readonly messagesSent: number;
  readonly bytesSent: number;
  readonly messagesReceived: number;
  readonly bytesReceived: number;
  /** Most payload bytes ever queued ahead of a collective (bounded: 8 chunks plus one message). */
  readonly inboxPeakBytes: number;
  /** Messages dropped before any collective saw them, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>;
}

export function emptyDrops(): Record<DropReason, number> {
  return {
    'version-mismatch': 0,
    'run-id-mismatch': 0,
    malformed: 0,
    oversize: 0,
    'unknown-type': 0,
    'bad-signature': 0,
    replayed: 0,
    'stale-generation': 0,
    'unexpected-sender': 0,
    'unexpected-type': 0,
  };
}
