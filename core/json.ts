import { z } from 'zod';

/**
 * A JSON value as it travels between connectors, the store and workflow history. An object member may be
 * `undefined`: JSON.stringify and canonicalJson omit it, which is how an optional field parsed by zod
 * (`?: T | undefined` under exactOptionalPropertyTypes) is written back.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue | undefined };

/** zod's JSON schema typed as our JsonValue (what it accepts is a subset: it never yields undefined members). */
export const jsonValueSchema: z.ZodType<JsonValue> = z.json() as z.ZodType<JsonValue>;

/**
 * A parsed value (YAML front matter, an API answer) as plain JSON, exactly as JSON.stringify writes it:
 * Dates become ISO strings (an invalid Date null), bigints decimal strings, non-finite numbers null,
 * undefined members are dropped, and a `__proto__` key stays an ordinary key. Throws on a circular value.
 */
export function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value, (_k, v: unknown) =>
    v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v,
  ) as string | undefined;
  return (text === undefined ? null : JSON.parse(text)) as JsonValue;
}
