/** A JSON value as it travels between connectors, the store and workflow history. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
