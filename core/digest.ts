import { createHash } from 'node:crypto';

/** Hex sha256 of bytes or a string (UTF-8). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hex sha256 of a stream's bytes, read chunk by chunk (a blob or a file of any size). */
export async function sha256OfStream(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

/**
 * Deterministic JSON: object keys sorted, no undefined values. Manifests are hashed and signed as bytes,
 * so the same logical content must always produce the same bytes on every machine.
 * Pretty-printed with two spaces because auditors read these files.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

/**
 * A short, stable id for a JSON-able value: the first `hexChars` hex digits of the sha256 of its
 * canonical JSON. Each caller keeps the length it has always used (GitHub 16, Jira and the model
 * registry 32): fingerprints are stored in checkpoints, so a new length would read as a changed config.
 */
export function fingerprint(value: unknown, hexChars: 16 | 32): string {
  return sha256Hex(canonicalJson(value)).slice(0, hexChars);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
