import { InvalidArgumentError } from 'commander';

/**
 * A commander parser for integer flags with a lower and an optional upper bound, naming the flag
 * and its allowed range on bad input.
 */
export function parseIntegerOption(flag: string, min: number, max?: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max))
      throw new InvalidArgumentError(
        max === undefined
          ? `${flag} must be an integer ≥ ${min}, got '${value}'`
          : `${flag} must be an integer in [${min}, ${max}], got '${value}'`,
      );
    return n;
  };
}

/** Highest TCP port. */
export const MAX_PORT = 65535;

/** Longest timeout a flag accepts, in seconds (a day): Node's timers overflow past ~24.8 days. */
export const MAX_TIMEOUT_S = 86_400;
