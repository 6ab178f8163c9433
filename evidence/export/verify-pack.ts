import path from 'node:path';
import { sha256Hex } from '../../core/digest';
import { FilesystemStore } from '../fs-store';
import { parseManifest, type Manifest } from '../manifest';
import { verifyBytes } from '../signing';
import type { EvidenceStore, KeyRecord } from '../store';
import { fingerprintOf } from '../trust/fingerprint';
import type { AnchorProblem } from '../anchor-problems';
import { markerFile, markerSignatureFile, signedMarkerSchema, type SignedMarker } from './marker';
import { readOptional } from '../durable-fs';

/** What a verified export.json says, for the checkpoint checks. */
export type PackFacts = SignedMarker;

/**
 * The checks only an audit pack needs (an extracted folder with `export.json`): the marker is signed by an
 * acceptable key and agrees with the manifests in the pack (first and last sequence, head digest, every seal
 * time inside the window), else `export-altered`; and every blob in the pack is referenced by one of its
 * manifests, else `unreferenced-blob` (a live store may hold blobs of a sweep still running; a pack may not).
 * Returns the marker's facts when it verified, undefined for a store that is not a pack.
 */
export async function verifyPack(
  store: EvidenceStore,
  acceptable: readonly KeyRecord[],
  storeKeys: readonly KeyRecord[],
  problems: AnchorProblem[],
): Promise<PackFacts | undefined> {
  if (!(store instanceof FilesystemStore)) return undefined;
  const bytes = await readOptional(path.join(store.root, markerFile));
  if (!bytes) return undefined;
  const altered = (message: string, sequence?: number) =>
    problems.push({ code: 'export-altered', ...(sequence !== undefined ? { sequence } : {}), message });

  const manifests = await readManifests(store);
  await checkUnreferencedBlobs(store, manifests, problems);

  let marker: SignedMarker;
  try {
    marker = signedMarkerSchema.parse(JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    altered(
      `${markerFile} lacks the signed fields of a pack (${(err as Error).message.split('\n')[0]}); an older evidence-hub, or edited`,
    );
    return undefined;
  }
  const signature = await readOptional(path.join(store.root, markerSignatureFile));
  const key = acceptable.find((k) => k.keyId === marker.keyId);
  if (!signature) {
    altered(`${markerSignatureFile} is missing: nothing vouches for the pack's window and last bundle`);
    return undefined;
  }
  if (!key) {
    const known = storeKeys.some((k) => k.keyId === marker.keyId);
    problems.push({
      code: known ? 'untrusted-key' : 'export-altered',
      message: `${markerFile} is signed with key ${marker.keyId}, which is ${known ? 'in the pack but not trusted' : 'not in the pack'}`,
    });
    return undefined;
  }
  if (fingerprintOf(key.publicKeyPem) !== marker.fingerprint || !verifyBytes(key.publicKeyPem, bytes, signature)) {
    altered(`${markerSignatureFile} does not verify with key ${key.keyId}: ${markerFile} was changed after signing`);
    return undefined;
  }

  const seqs = manifests.map((m) => m.sequence);
  const last = manifests.at(-1);
  if (marker.toSequence < marker.fromSequence - 1) altered(`${markerFile}: toSequence is before fromSequence`);
  if (manifests.length === 0) {
    if (marker.toSequence !== marker.fromSequence - 1)
      altered(
        `${markerFile} says the pack holds bundles #${marker.fromSequence}..#${marker.toSequence}, but it holds none`,
      );
  } else {
    if (seqs[0] !== marker.fromSequence)
      altered(
        `${markerFile} says the pack starts at bundle #${marker.fromSequence}, its first manifest is #${seqs[0]}`,
      );
    if (last!.sequence !== marker.toSequence)
      altered(
        `${markerFile} says the pack ends at bundle #${marker.toSequence}, its last manifest is #${last!.sequence}${last!.sequence < marker.toSequence ? ': bundles were cut off' : ''}`,
        last!.sequence,
      );
    else if (last!.digest !== marker.headDigest)
      altered(
        `${markerFile} names head digest ${marker.headDigest?.slice(0, 12)} for bundle #${marker.toSequence}, the manifest has ${last!.digest.slice(0, 12)}`,
        last!.sequence,
      );
  }
  const from = Date.parse(marker.window.from);
  const to = Date.parse(marker.window.to);
  for (const m of manifests) {
    const sealed = m.manifest ? Date.parse(m.manifest.finishedAt) : undefined;
    if (sealed !== undefined && (sealed < from || sealed > to))
      altered(
        `bundle #${m.sequence} was sealed ${m.manifest!.finishedAt}, outside the pack's signed window ${marker.window.from} .. ${marker.window.to}`,
        m.sequence,
      );
  }
  return marker;
}

interface PackManifest {
  sequence: number;
  digest: string;
  manifest: Manifest | undefined;
}

async function readManifests(store: EvidenceStore): Promise<PackManifest[]> {
  const out: PackManifest[] = [];
  for (const sequence of await store.sequences()) {
    const bytes = await store.readManifest(sequence);
    if (!bytes) continue;
    let manifest: Manifest | undefined;
    try {
      manifest = parseManifest(bytes);
    } catch {
      manifest = undefined; // verify.ts reports it (manifest-unreadable)
    }
    out.push({ sequence, digest: sha256Hex(bytes), manifest });
  }
  return out;
}

async function checkUnreferencedBlobs(
  store: EvidenceStore,
  manifests: PackManifest[],
  problems: AnchorProblem[],
): Promise<void> {
  const referenced = new Set(manifests.flatMap((m) => m.manifest?.artifacts.map((a) => a.sha256) ?? []));
  for (const blob of await store.listBlobs()) {
    if (referenced.has(blob)) continue;
    problems.push({
      code: 'unreferenced-blob',
      message: `blobs/sha256/${blob.slice(0, 2)}/${blob} is in the pack but no manifest references it (added after export?)`,
    });
  }
}
