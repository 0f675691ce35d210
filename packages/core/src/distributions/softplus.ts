/** Numerically stable softplus in float64: log(1 + e^x). */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Inverse of {@link softplus}: the raw value whose softplus is `y` (y > 0). */
export function inverseSoftplus(y: number): number {
  if (!(y > 0) || !Number.isFinite(y)) throw new RangeError(`inverseSoftplus needs a finite y > 0, got ${y}`);
  // For large y, log(e^y − 1) = y + log(1 − e^−y) avoids overflow.
  return y > 20 ? y + Math.log1p(-Math.exp(-y)) : Math.log(Math.expm1(y));
}
