import { type ErrorMessage, type Message, PROTOCOL_VERSION } from '@awn/protocol';
import { CollectiveError, CollectiveTimeoutError } from './errors.js';

/** A failure detected by another rank and passed down the ring. */
export class RemoteFailure extends CollectiveError {
  constructor(
    code: CollectiveError['code'],
    readonly original: string,
    ranks: readonly number[],
    readonly reporter: number,
  ) {
    super(code, `${original} (reported by rank ${reporter})`, ranks);
  }
}

/** A timeout detected by another rank: still a CollectiveTimeoutError naming the silent peer. */
export class RemoteTimeout extends CollectiveTimeoutError {
  constructor(
    peer: number,
    readonly original: string,
    readonly reporter: number,
  ) {
    super(peer, 0, `${original} (reported by rank ${reporter})`);
  }
}

const KNOWN_CODES: readonly string[] = ['mismatch', 'timeout', 'aborted', 'closed', 'busy', 'invalid'];

/** The local error for an error message received from the predecessor. */
export function remoteFailure(message: ErrorMessage, rank: number): CollectiveError {
  const culprit = message.ranks[0];
  if (message.code === 'collective-timeout' && culprit !== undefined) {
    return new RemoteTimeout(culprit, message.message, message.reporter);
  }
  const code = message.code.startsWith('collective-') ? message.code.slice('collective-'.length) : 'aborted';
  const ranks = message.ranks.length > 0 ? message.ranks : [message.reporter, rank];
  return new RemoteFailure(
    (KNOWN_CODES.includes(code) ? code : 'aborted') as CollectiveError['code'],
    message.message,
    ranks,
    message.reporter,
  );
}

/**
 * The error message that tells the successor why this rank's ring broke, or null when it must not
 * be sent: the successor itself reported the failure (it already knows, and the report has gone
 * round the whole ring).
 */
export function abortMessage(
  failure: CollectiveError,
  ids: { readonly runId: string; readonly generation: number; readonly rank: number; readonly worldSize: number },
  step: number,
): Message | null {
  const remote = failure instanceof RemoteFailure || failure instanceof RemoteTimeout ? failure : undefined;
  const reporter = remote?.reporter ?? ids.rank;
  if (reporter === (ids.rank + 1) % ids.worldSize) return null;
  return {
    version: PROTOCOL_VERSION,
    runId: ids.runId,
    generation: ids.generation,
    step,
    sender: ids.rank,
    type: 'error',
    code: `collective-${failure.code}`,
    message: remote?.original ?? failure.message,
    ranks: [...failure.ranks],
    reporter,
    fatal: true,
  };
}
