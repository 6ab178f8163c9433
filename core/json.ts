import { z } from 'zod';

/**
 * A JSON value as it travels between connectors, the store and workflow history. An object member may be
 * `undefined`: JSON.stringify and canonicalJson omit it, which is how an optional field parsed by zod
 * (`?: T | undefined` under exactOptionalPropertyTypes) is written back.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue | undefined };

/** zod's JSON schema typed as our JsonValue (what it accepts is a subset: it never yields undefined members). */
export const jsonValueSchema: z.ZodType<JsonValue> = z.json() as z.ZodType<JsonValue>;
