/**
 * An error caused by the user's input (flags, config, files): reported as one clear message and
 * exit code 2, without a stack trace. Anything else is a bug and exits 1 with its stack.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells expect. */
export const EXIT_INTERRUPTED = 130;
