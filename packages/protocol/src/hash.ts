import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, undefined members omitted (as
 * JSON.stringify does). Two configs that mean the same thing give the same text.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object': {
      if (seen.has(value)) throw new TypeError(`${path}: circular reference`);
      seen.add(value);
      let text: string;
      if (Array.isArray(value)) {
        text = `[${value.map((item, i) => (item === undefined ? 'null' : write(item, `${path}[${i}]`, seen))).join(',')}]`;
      } else {
        const keys = Object.keys(value).sort();
        const parts: string[] = [];
        for (const key of keys) {
          const item = (value as Record<string, unknown>)[key];
          if (item === undefined) continue;
          parts.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`, seen)}`);
        }
        text = `{${parts.join(',')}}`;
      }
      seen.delete(value);
      return text;
    }
    default:
      throw new TypeError(`${path}: a ${typeof value} has no JSON form`);
  }
}

/** sha256 (hex) of the canonical JSON of a config: equal for equal configs, whatever key order. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/**
 * 32-bit FNV-1a over the widths as little-endian int32, count first. Every rank computes it from
 * its own width vector; a difference in any all-reduce header means the ranks' models diverged.
 */
export function widthHash(widths: readonly number[]): number {
  let hash = 0x811c9dc5;
  const mix = (word: number): void => {
    for (let shift = 0; shift < 32; shift += 8) {
      hash ^= (word >>> shift) & 0xff;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  };
  mix(widths.length);
  for (const width of widths) {
    if (!Number.isInteger(width) || width < 0 || width > 0x7fffffff) {
      throw new RangeError(`width ${width} is not a non-negative 32-bit integer`);
    }
    mix(width);
  }
  return hash >>> 0;
}
