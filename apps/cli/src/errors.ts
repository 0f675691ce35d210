export { UsageError, RunFailedError } from '@awn/coordinator';

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells expect. */
export const EXIT_INTERRUPTED = 130;
