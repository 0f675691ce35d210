/** A JSON value as it crosses the wire (the run config in `welcome`). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
