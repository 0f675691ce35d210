/**
 * Guards the `meta` part of a checkpoint. `JSON.stringify` silently turns NaN into null, a typed
 * array into an index-keyed object and a Map into `{}`; a resumed run would then read back
 * something other than what was saved. Refusing such values at save time keeps resume exact.
 */
import { CheckpointError } from './errors.js';

/** Throws a {@link CheckpointError} naming the path (e.g. `meta.rates[2]`) of the first value JSON cannot carry faithfully. */
export function assertJsonValue(value: unknown, path: string, source: string, ancestors: object[] = []): void {
  const bad = (why: string): never => {
    throw new CheckpointError(source, 'invalid', `${path} ${why}; checkpoint meta must be plain JSON`);
  };
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) bad(`is ${value}, which JSON cannot represent`);
      return;
    case 'object': {
      if (value === null) return;
      if (ancestors.includes(value)) bad('refers to itself (cycle)');
      const inner = [...ancestors, value];
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) assertJsonValue(value[i], `${path}[${i}]`, source, inner);
        return;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        bad(
          `is a ${(value as object).constructor?.name ?? 'non-plain object'}; convert it (e.g. Array.from for typed arrays)`,
        );
      }
      for (const [k, v] of Object.entries(value)) {
        // An undefined property is simply absent after a round trip, which reads back the same.
        if (v !== undefined) assertJsonValue(v, `${path}.${k}`, source, inner);
      }
      return;
    }
    case 'undefined':
      bad('is undefined, which JSON would turn into null');
      return;
    default:
      bad(`is a ${typeof value}`);
  }
}
