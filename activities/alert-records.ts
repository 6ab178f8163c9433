import type { Logger } from 'pino';
import type { DecidingRecord } from '../alerts/details';
import { loadIndex } from '../evidence/index';
import type { EvidenceStore } from '../evidence/store';

/**
 * The deciding records an alert links and names the owner of (alerts/details.ts), read from the store: the
 * attributes from the index (a document's front matter is there), and for structured records (a GitHub pull
 * request, a Jira issue) the `url` their stored JSON names. Files (documents, bucket objects) are never read.
 */

/** Record JSON larger than this is not read for its URL (records are small; a huge one is not worth a link). */
const maxRecordBytes = 256 * 1024;

/**
 * Source types whose blobs are files as found (documents, uploads, bucket objects), not the connector's JSON
 * record: a `url` inside such a file is the file's content, not the address of the evidence.
 */
const fileSources = new Set(['folder', 'manual', 's3', 'azure-blob', 'gcs']);

export async function decidingRecords(
  store: EvidenceStore,
  ids: readonly string[],
  log: Logger,
): Promise<Map<string, DecidingRecord>> {
  const wanted = new Set(ids);
  const out = new Map<string, DecidingRecord>();
  if (wanted.size === 0) return out;
  const index = await loadIndex(store);
  // Newest first: the first entry of an id is its latest version.
  for (const a of index.artifacts) {
    if (!wanted.has(a.id) || out.has(a.id)) continue;
    const record: DecidingRecord = { id: a.id, attributes: a.attributes };
    if (!fileSources.has(a.sourceType)) {
      const url = await recordUrl(store, a.sha256).catch((err: unknown) => {
        // A link is a convenience: an unreadable record costs the link, never the alert.
        log.warn({ artifact: a.id, err: err instanceof Error ? err.message : String(err) }, 'record URL not read');
        return undefined;
      });
      if (url !== undefined) record.url = url;
    }
    out.set(a.id, record);
    if (out.size === wanted.size) break;
  }
  return out;
}

async function recordUrl(store: EvidenceStore, sha256: string): Promise<string | undefined> {
  const size = await store.blobSize(sha256);
  if (size === undefined || size > maxRecordBytes) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of store.openBlob(sha256)) chunks.push(Buffer.from(chunk as Uint8Array));
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined; // not a JSON record
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const url = (json as Record<string, unknown>)['url'];
  return typeof url === 'string' ? url : undefined;
}
