import { ProtocolError } from './errors.js';
import type { FieldReader } from './fields.js';
import type { JsonValue } from './json.js';

/**
 * The declarative layer the message schemas (message-schemas.ts) are written in: each field is a
 * {@link Field} that reads and checks one value out of an untrusted record, and a schema (a
 * {@link Shape}) is a record of fields from which both the TypeScript type ({@link Infer}) and the
 * validator ({@link readShape}) come, so a message's shape is written once.
 *
 * Why not zod, which the run config uses: the checks depend on the codec's runtime `Limits`
 * (string and array lengths, JSON depth), every failure must become a `ProtocolError` naming the
 * field, and every value must be copied, never passed through, so nothing of a hostile decoded
 * object survives validation. The existing `FieldReader` (fields.ts) already does exactly that at
 * a few µs a message; this file only makes its calls declarative.
 */
export interface Field<T> {
  read(r: FieldReader, name: string): T;
}

/** A field a message may leave out (absent on the wire, absent in the decoded object). */
export interface OptionalField<T> extends Field<T> {
  readonly optional: true;
}

/** A message body (or nested record): field name → field. */
export type Shape = { readonly [name: string]: Field<unknown> };

type FieldType<F> = F extends Field<infer T> ? T : never;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalField<unknown> ? K : never }[keyof S];

/** The type a schema describes: every field readonly, as decoded messages are never mutated. */
export type Infer<S extends Shape> = {
  readonly [K in Exclude<keyof S, OptionalKeys<S>>]: FieldType<S[K]>;
} & { readonly [K in OptionalKeys<S>]?: FieldType<S[K]> };

/** Reads every field of `shape` into a fresh object (unknown fields of the source are dropped). */
export function readShape<S extends Shape>(r: FieldReader, shape: S): Infer<S> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(shape)) {
    const spec = shape[name] as Field<unknown> | OptionalField<unknown>;
    if ('optional' in spec && !r.has(name)) continue;
    out[name] = spec.read(r, name);
  }
  return out as Infer<S>;
}

const MAX = Number.MAX_SAFE_INTEGER;

/** Field constructors; their bounds are the wire format's contract. */
export const field = {
  /** A safe integer in [min, max]. */
  int: (min = 0, max = MAX): Field<number> => ({ read: (r, k) => r.int(k, min, max) }),
  uint32: (): Field<number> => ({ read: (r, k) => r.uint32(k) }),
  /** A finite number ≥ min. */
  finite: (min = -Infinity): Field<number> => ({ read: (r, k) => r.finite(k, min) }),
  /** Any number, NaN and infinities included (a diverged loss is reported, not refused). */
  number: (): Field<number> => ({ read: (r, k) => r.number(k) }),
  bool: (): Field<boolean> => ({ read: (r, k) => r.bool(k) }),
  /** A string of at least `minLength` characters (at most the limits' maxStringLength). */
  str: (minLength = 0): Field<string> => ({ read: (r, k) => r.str(k, minLength) }),
  oneOf: <T extends string>(allowed: readonly T[]): Field<T> => ({ read: (r, k) => r.oneOf(k, allowed) }),
  intArray: (min = 0, max = MAX): Field<readonly number[]> => ({ read: (r, k) => r.intArray(k, min, max) }),
  finiteArray: (min = -Infinity): Field<readonly number[]> => ({ read: (r, k) => r.finiteArray(k, min) }),
  /** Numbers that may be NaN or infinite (e.g. the rate of a fixed-width layer is NaN). */
  numberArray: (): Field<readonly number[]> => ({ read: (r, k) => r.numberArray(k) }),
  strArray: (minLength = 0): Field<readonly string[]> => ({ read: (r, k) => r.strArray(k, minLength) }),
  /** A free-form JSON value (e.g. the run config), copied within the limits' depth. */
  json: (): Field<JsonValue> => ({ read: (r, k) => r.json(k) }),
  /** A nested record with its own schema. */
  record: <S extends Shape>(shape: S): Field<Infer<S>> => ({ read: (r, k) => readShape(r.record(k), shape) }),
  /** `inner` when present; a message may leave the field out. */
  optional: <T>(inner: Field<T>): OptionalField<T> => ({ read: inner.read, optional: true }),
  /** `inner`, or null. */
  nullable: <T>(inner: Field<T>): Field<T | null> => ({ read: (r, k) => (r.isNull(k) ? null : inner.read(r, k)) }),
};

/** The ProtocolError a cross-field check throws, worded like the field checks'. */
export function malformed(where: string, name: string, expected: string): ProtocolError {
  return new ProtocolError('malformed', `${where}.${name}: ${expected}`);
}
