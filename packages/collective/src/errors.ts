/** What went wrong in a collective; stable strings for logs and metrics. */
export type CollectiveErrorCode = 'mismatch' | 'timeout' | 'aborted' | 'closed' | 'busy' | 'invalid';

/**
 * A collective failed. `ranks` names the ranks involved (culprit first where there is one).
 * After any CollectiveError other than 'busy' or 'invalid' the communicator is broken: the ring's
 * message streams are out of step, so the caller re-forms it (new generation, new Communicator).
 */
export class CollectiveError extends Error {
  readonly code: CollectiveErrorCode;
  readonly ranks: readonly number[];

  constructor(code: CollectiveErrorCode, message: string, ranks: readonly number[] = []) {
    super(message);
    this.name = 'CollectiveError';
    this.code = code;
    this.ranks = ranks;
  }
}

/** A peer stayed silent past the deadline. `peer` is the rank held responsible. */
export class CollectiveTimeoutError extends CollectiveError {
  readonly peer: number;
  readonly deadlineMs: number;

  constructor(peer: number, deadlineMs: number, message: string) {
    super('timeout', message, [peer]);
    this.name = 'CollectiveTimeoutError';
    this.peer = peer;
    this.deadlineMs = deadlineMs;
  }
}
