// Helpers every benchmark shares: medians of repeated timings and fixed-width number formatting.

/** Median of `xs` (mean of the two middle values for an even count); NaN when empty. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** `x` with `digits` decimals, or `n/a` for NaN and infinities (a skipped or failed measurement). */
export function fmt(x, digits = 1) {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}
