import { InvalidArgumentError } from 'commander';

/** A commander parser for integer flags with a lower bound, naming the flag on bad input. */
export function parseIntegerOption(flag: string, min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${flag} must be an integer ≥ ${min}, got '${value}'`);
    return n;
  };
}
