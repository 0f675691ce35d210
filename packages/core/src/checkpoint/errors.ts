/**
 * The one error type of the checkpoint module, so the coordinator can tell "this file is unusable"
 * (fall back to an older checkpoint, or stop with a clear message) from bugs elsewhere.
 */

/**
 * What is wrong with a checkpoint:
 * - `missing`: no file at the path; `io`: the file system refused a read or write;
 * - `magic`: not an awn checkpoint at all; `version`: written by a newer (or unknown) format;
 * - `truncated`: shorter than its header promises; `corrupt`: checksum mismatch or trailing bytes;
 * - `invalid`: well-formed bytes describing impossible contents, or contents that cannot be
 *   encoded (shape disagrees with data, meta not JSON); `kind`: a valid checkpoint of another model.
 */
export type CheckpointProblem = 'missing' | 'io' | 'magic' | 'version' | 'truncated' | 'corrupt' | 'invalid' | 'kind';

/** A checkpoint could not be written, read or trusted; the message names the file and the problem. */
export class CheckpointError extends Error {
  constructor(
    /** The file (or other source label) concerned. */
    readonly source: string,
    /** Machine-readable category of the failure. */
    readonly problem: CheckpointProblem,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Checkpoint ${source}: ${detail}`, options);
    this.name = 'CheckpointError';
  }
}
