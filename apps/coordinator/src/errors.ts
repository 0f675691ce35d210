// A usage error is the run library's (a run directory in the way is one); re-exported for the CLI.
export { UsageError } from '@awn/run';

/** The run failed (a worker died, ranks disagreed, a deadline passed): exit code 1 with the reason. */
export class RunFailedError extends Error {
  readonly exitCode = 1;
  constructor(
    message: string,
    /** Ranks the failure is about, culprit first. */
    readonly ranks: readonly number[] = [],
  ) {
    super(message);
    this.name = 'RunFailedError';
  }
}
