import { sha256Hex } from '../../core/digest';
import { fastBlobReads } from '../blob-reads';
import type { EvidenceIndex } from '../index';
import { parseManifest, type Manifest } from '../manifest';
import type { EvidenceStore, KeyRecord } from '../store';
import { ExportError } from './archive';

export interface SelectedBundle {
  sequence: number;
  digest: string;
  /** The manifest file's exact bytes (copied verbatim: its signature covers them). */
  bytes: Buffer;
  manifest: Manifest;
  signature?: Buffer;
}

export interface SelectedBlob {
  sha256: string;
  size: number;
  mediaType: string;
  /** Deleted by retention: the signed tombstone goes into the archive instead of the bytes. */
  tombstone?: { body: Buffer; signature: Buffer };
  /** Neither the blob nor a tombstone is in the store (verify will report it too). */
  missing?: true;
}

/**
 * The part of the chain an audit pack carries: the bundles sealed inside the window (a contiguous run of
 * sequence numbers), the digest the first of them links back to, every blob they reference (once), and the
 * store's public keys.
 */
export interface Selection {
  bundles: SelectedBundle[];
  /** First sequence of the segment (the next sequence to be sealed when the window holds no bundle). */
  fromSequence: number;
  /** sha256 of the manifest before the segment: the anchor; null when the segment starts the chain. */
  previousDigest: string | null;
  blobs: Map<string, SelectedBlob>;
  keys: KeyRecord[];
  /** What was found wrong in the store while selecting; the export goes on and says so. */
  problems: string[];
}

/** Bundles are chosen by seal time (`finishedAt`), inclusive at both ends. */
export async function selectWindow(
  store: EvidenceStore,
  index: EvidenceIndex,
  from: Date,
  to: Date,
): Promise<Selection> {
  const problems: string[] = [];
  const inWindow = (iso: string) => Date.parse(iso) >= from.getTime() && Date.parse(iso) <= to.getTime();
  const candidates = index.bundles.filter((b) => inWindow(b.finishedAt)).map((b) => b.sequence);
  const bundles: SelectedBundle[] = [];
  for (const sequence of candidates) {
    const bytes = await store.readManifest(sequence);
    if (!bytes) {
      problems.push(`bundle #${sequence} is listed in the index but its manifest is gone`);
      continue;
    }
    const manifest = parseManifest(bytes);
    if (!inWindow(manifest.finishedAt)) continue; // the index cache disagreed with the manifest: the manifest wins
    const digest = sha256Hex(bytes);
    const signature = await store.readSignature(digest);
    if (!signature) problems.push(`bundle #${sequence}: no signature for its manifest in the store`);
    bundles.push({ sequence, digest, bytes, manifest, ...(signature ? { signature } : {}) });
  }
  bundles.sort((a, b) => a.sequence - b.sequence);
  assertContiguous(bundles, index, from, to);

  const first = bundles[0];
  const fromSequence = first ? first.sequence : sequenceBefore(index, from) + 1;
  let previousDigest: string | null = null;
  if (fromSequence > 1) {
    const before = await store.readManifest(fromSequence - 1);
    if (before) previousDigest = sha256Hex(before);
    else {
      previousDigest = first?.manifest.previousDigest ?? null;
      problems.push(
        `bundle #${fromSequence - 1}, the one before the window, is missing from the store; the anchor is taken from bundle #${fromSequence}'s own link`,
      );
    }
  }

  const blobs = new Map<string, SelectedBlob>();
  // A filesystem store's sizes come from synchronous stats (evidence/blob-reads.ts): one blob at a time
  // through the thread pool took seconds on a year of small blobs.
  const sizeOf = fastBlobReads(store)?.size ?? ((h: string) => store.blobSize(h));
  for (const b of bundles) {
    for (const a of b.manifest.artifacts) {
      if (blobs.has(a.sha256)) continue;
      const size = await sizeOf(a.sha256);
      if (size !== undefined) {
        blobs.set(a.sha256, { sha256: a.sha256, size, mediaType: a.mediaType });
        continue;
      }
      const tombstone = await store.readTombstone(a.sha256);
      if (tombstone) blobs.set(a.sha256, { sha256: a.sha256, size: a.size, mediaType: a.mediaType, tombstone });
      else {
        blobs.set(a.sha256, { sha256: a.sha256, size: a.size, mediaType: a.mediaType, missing: true });
        problems.push(`bundle #${b.sequence}: blob ${a.sha256} of ${a.id} is missing from the store`);
      }
    }
  }
  return { bundles, fromSequence, previousDigest, blobs, keys: await store.listKeys(), problems };
}

/** The last sequence sealed before `from` (0 when none). */
function sequenceBefore(index: EvidenceIndex, from: Date): number {
  return index.bundles
    .filter((b) => Date.parse(b.finishedAt) < from.getTime())
    .reduce((max, b) => Math.max(max, b.sequence), 0);
}

/**
 * The chain is sealed in time order, so a window is a run of consecutive sequence numbers. A gap means
 * seal times went backwards (clock skew between workers): the pack could not verify as one segment, so
 * the export refuses and names the bundles, rather than silently adding bundles from outside the window.
 */
function assertContiguous(bundles: SelectedBundle[], index: EvidenceIndex, from: Date, to: Date): void {
  for (let i = 1; i < bundles.length; i++) {
    const prev = bundles[i - 1]!.sequence;
    const next = bundles[i]!.sequence;
    if (next === prev + 1) continue;
    const between = index.bundles.filter((b) => b.sequence > prev && b.sequence < next);
    const names = between.map((b) => `#${b.sequence} (sealed ${b.finishedAt})`).join(', ') || `#${prev + 1}`;
    throw new ExportError(
      `bundles #${prev} and #${next} are inside the window ${from.toISOString()} .. ${to.toISOString()} but ${names} between them is not: seal times are out of order (clock skew?); choose a window that does not cut through them`,
    );
  }
}
