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
