/**
 * An error caused by the user's input (flags, config, files, a run directory in the way):
 * reported as one clear message and exit code 2, without a stack trace.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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
