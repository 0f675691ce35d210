import { ProtocolError } from './errors.js';
import type { Limits } from './limits.js';
import type { JsonValue } from './json.js';

/** True for objects msgpack maps decode to; Dates, Maps, Errors and arrays are not records. */
export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Reads typed fields out of an untrusted record, throwing ProtocolError('malformed') that names
 * the field. Returned values are fresh, so nothing of the decoded object leaks through.
 */
export class FieldReader {
  constructor(
    private readonly source: Record<string, unknown>,
    private readonly where: string,
    private readonly limits: Limits,
  ) {}

  private fail(field: string, expected: string): never {
    const got = this.source[field];
    const shown = typeof got === 'string' ? JSON.stringify(got.slice(0, 40)) : describe(got);
    throw new ProtocolError('malformed', `${this.where}.${field}: expected ${expected}, got ${shown}`);
  }

  private raw(field: string): unknown {
    return Object.hasOwn(this.source, field) ? this.source[field] : undefined;
  }

  int(field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(field);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(field, `an integer in [${min}, ${max}]`);
    }
    return value;
  }

  uint32(field: string): number {
    return this.int(field, 0, 0xffffffff);
  }

  finite(field: string, min = -Infinity): number {
    const value = this.raw(field);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      this.fail(field, min === -Infinity ? 'a finite number' : `a finite number >= ${min}`);
    }
    return value;
  }

  number(field: string): number {
    const value = this.raw(field);
    if (typeof value !== 'number') this.fail(field, 'a number');
    return value;
  }

  bool(field: string): boolean {
    const value = this.raw(field);
    if (typeof value !== 'boolean') this.fail(field, 'a boolean');
    return value;
  }

  str(field: string, minLength = 0): string {
    const value = this.raw(field);
    if (typeof value !== 'string' || value.length < minLength || value.length > this.limits.maxStringLength) {
      this.fail(field, `a string of ${minLength}..${this.limits.maxStringLength} characters`);
    }
    return value;
  }

  has(field: string): boolean {
    return this.raw(field) !== undefined;
  }

  isNull(field: string): boolean {
    return this.raw(field) === null;
  }

  strOrNull(field: string): string | null {
    return this.raw(field) === null ? null : this.str(field);
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    const value = this.raw(field);
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(field, `one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  array(field: string, maxLength = this.limits.maxArrayLength): unknown[] {
    const value = this.raw(field);
    if (!Array.isArray(value) || value.length > maxLength) this.fail(field, `an array of at most ${maxLength}`);
    return value;
  }

  intArray(field: string, min = 0, max = Number.MAX_SAFE_INTEGER): number[] {
    const values = this.array(field);
    for (const v of values) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
        this.fail(field, `an array of integers in [${min}, ${max}]`);
      }
    }
    return values.slice() as number[];
  }

  finiteArray(field: string, min = -Infinity): number[] {
    const values = this.array(field);
    for (const v of values) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min) this.fail(field, 'an array of finite numbers');
    }
    return values.slice() as number[];
  }

  /** Numbers that may be NaN or infinite (e.g. the rate of a fixed-width layer is NaN). */
  numberArray(field: string): number[] {
    const values = this.array(field);
    for (const v of values) if (typeof v !== 'number') this.fail(field, 'an array of numbers');
    return values.slice() as number[];
  }

  strArray(field: string, minLength = 0): string[] {
    const values = this.array(field);
    for (const v of values) {
      if (typeof v !== 'string' || v.length < minLength || v.length > this.limits.maxStringLength) {
        this.fail(field, 'an array of strings');
      }
    }
    return values.slice() as string[];
  }

  record(field: string): FieldReader {
    const value = this.raw(field);
    if (!isPlainRecord(value)) this.fail(field, 'a map');
    return new FieldReader(value, `${this.where}.${field}`, this.limits);
  }

  records(field: string): FieldReader[] {
    return this.array(field).map((item, i) => {
      if (!isPlainRecord(item)) this.fail(field, 'an array of maps');
      return new FieldReader(item, `${this.where}.${field}[${i}]`, this.limits);
    });
  }

  stringMap(field: string): Record<string, string> {
    const value = this.raw(field);
    if (!isPlainRecord(value)) this.fail(field, 'a map of strings');
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    const entries = Object.entries(value);
    if (entries.length > this.limits.maxArrayLength) this.fail(field, 'a smaller map');
    for (const [key, v] of entries) {
      if (typeof v !== 'string' || v.length > this.limits.maxStringLength) this.fail(field, 'a map of strings');
      out[key] = v;
    }
    return { ...out };
  }

  json(field: string): JsonValue {
    const value = this.raw(field);
    if (value === undefined) this.fail(field, 'a JSON value');
    return copyJson(value, `${this.where}.${field}`, this.limits, 0);
  }
}

function copyJson(value: unknown, where: string, limits: Limits, depth: number): JsonValue {
  if (depth > limits.maxDepth) throw new ProtocolError('malformed', `${where}: nested deeper than ${limits.maxDepth}`);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ProtocolError('malformed', `${where}: non-finite number in JSON value`);
    return value;
  }
  if (typeof value === 'string') {
    if (value.length > limits.maxStringLength) throw new ProtocolError('malformed', `${where}: string too long`);
    return value;
  }
  if (Array.isArray(value)) {
    if (value.length > limits.maxArrayLength) throw new ProtocolError('malformed', `${where}: array too long`);
    return value.map((item, i) => copyJson(item, `${where}[${i}]`, limits, depth + 1));
  }
  if (isPlainRecord(value)) {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty so a "__proto__" key stays data and cannot swap the prototype.
      Object.defineProperty(out, key, {
        value: copyJson(item, `${where}.${key}`, limits, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  throw new ProtocolError('malformed', `${where}: ${describe(value)} is not a JSON value`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' ? `a ${name}` : 'an object';
  }
  if (typeof value === 'bigint') return 'a bigint';
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value;
}
