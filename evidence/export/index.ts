import { statuses, type ControlStatus } from '../../mappings/evaluate';
import { canonicalJson, sha256Hex } from '../../core/digest';
import { checkpointBodyPath, checkpointSigPath } from '../checkpoint';
import { fastBlobReads } from '../blob-reads';
import type { Signer } from '../signing';
import { fingerprintOf } from '../trust/fingerprint';
import { ExportError, archiveFormat, archiveRoot, writeArchive, type ArchiveFormat } from './archive';
import { markerFile, markerSignatureFile, signMarker } from './marker';
import { controlPage, renderControlPage, renderSummary, summaryPage } from './html';
import {
  blobPath,
  buildPackModel,
  manifestPath,
  signaturePath,
  type ExportHub,
  type PackModel,
  type PackWindowOptions,
} from './model';
import { oscalInPack, oscalJson } from './oscal';
import { soaCsv, soaCsvFile, soaHtml, soaHtmlFile } from './soa';
import { packIndex } from './pack-index';
import { htmlToPdf, type PaperSize } from './pdf';
import type { Selection } from './select';
import type { ArchiveEntry } from './tar';
import { verifyDoc, verifyScript } from './verify-doc';

export { ExportError, type ArchiveFormat } from './archive';
export { buildPackModel, type ExportHub, type PackModel, type PackWindowOptions } from './model';
export { buildOscal, exportOscal, oscalInPack } from './oscal';
export { htmlToPdf, chromiumFlags, defaultChromium, defaultPaper, paperSizes, type PaperSize } from './pdf';

export interface ExportOptions extends PackWindowOptions {
  /** The archive to write; its extension picks the format unless `format` is given. */
  out: string;
  format?: ArchiveFormat;
  /** Also print the summary page to this PDF with headless Chromium (optional; the archive never needs it). */
  pdf?: string;
  /** The PDF's paper size (default A4). */
  paper?: PaperSize | undefined;
  chromium?: string;
  /**
   * The store's current signing key: it signs `export.json` (window, sequences, head digest), so a pack cut
   * short or with a moved window shows. It must be one of the store's keys, whose public part is in the pack.
   */
  key: Signer;
}

export interface ExportResult {
  out: string;
  format: ArchiveFormat;
  /** The folder everything in the archive sits under. */
  root: string;
  bundles: number[];
  fromSequence: number;
  previousDigest: string | null;
  /** The pack's last bundle (fromSequence - 1 when it holds none) and its manifest digest, as export.json says. */
  toSequence: number;
  headDigest: string | null;
  /** The key that signed export.json, and its fingerprint (the value an auditor pins, obtained out of band). */
  keyId: string;
  fingerprint: string;
  checkpoints: number;
  blobs: number;
  tombstones: number;
  files: number;
  controls: number;
  counts: Record<ControlStatus, number>;
  /** Store problems noticed while exporting (missing or altered blobs, missing signatures). */
  problems: string[];
  pdf?: string;
  pdfError?: string;
}

const storeMarker = canonicalJson({ format: 'evidence-hub/store@1' });

/**
 * Writes one archive with everything an auditor needs for an observation window: the bundles sealed in it
 * (manifests and signatures, byte for byte), every blob they reference (once), the public keys, tombstones
 * of pruned blobs, `index.json`, a static HTML report, OSCAL assessment results and VERIFY.md. The layout is
 * the store's own, so the extracted folder is a store `evidence-hub verify` accepts; `export.json` tells it
 * the chain segment starts at the window (see docs/audit-pack.md). Written as a stream: blobs are copied
 * chunk by chunk from the store into the compressor.
 */
export async function exportAuditPack(hub: ExportHub, options: ExportOptions): Promise<ExportResult> {
  const format = options.format ?? archiveFormat(options.out);
  const { model, selection } = await buildPackModel(hub, options);
  if (!selection.keys.some((k) => k.keyId === options.key.keyId))
    throw new ExportError(
      `signing key ${options.key.keyId} is not one of the store's keys; export with the store's current key`,
    );
  const signed = await signedPack(hub, model, selection, options.key);
  const root = archiveRoot(options.out);
  const digests = new Map<string, string>();
  const problems = [...model.problems];
  const generatedAt = new Date(model.generatedAt);

  await writeArchive(
    options.out,
    format,
    root,
    packEntries(hub, model, selection, signed, digests, problems),
    digests,
    generatedAt,
  );

  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<ControlStatus, number>;
  for (const c of model.controls) counts[c.result.status]++;
  const result: ExportResult = {
    out: options.out,
    format,
    root,
    bundles: model.bundles.map((b) => b.sequence),
    fromSequence: model.segment.fromSequence,
    previousDigest: model.segment.previousDigest,
    toSequence: signed.toSequence,
    headDigest: signed.headDigest,
    keyId: options.key.keyId,
    fingerprint: fingerprintOf(options.key.publicKeyPem),
    checkpoints: signed.checkpoints.length,
    blobs: [...selection.blobs.values()].filter((b) => !b.tombstone && !b.missing).length,
    tombstones: [...selection.blobs.values()].filter((b) => b.tombstone).length,
    files: digests.size,
    controls: model.controls.length,
    counts,
    problems,
  };
  if (options.pdf) {
    try {
      await htmlToPdf(renderSummary(model), options.pdf, {
        paper: options.paper,
        ...(options.chromium ? { chromium: options.chromium } : {}),
      });
      result.pdf = options.pdf;
    } catch (err) {
      result.pdfError = (err as Error).message;
    }
  }
  return result;
}

/** What the pack adds beyond the store's bundles: the signed export.json, checkpoints, key transitions. */
interface SignedPack {
  marker: { bytes: Buffer; signature: Buffer };
  keyId: string;
  toSequence: number;
  headDigest: string | null;
  checkpoints: { sequence: number; body: Buffer; signature: Buffer; token?: Buffer }[];
  transitions: Awaited<ReturnType<ExportHub['store']['listKeyTransitions']>>;
}

async function signedPack(hub: ExportHub, model: PackModel, selection: Selection, key: Signer): Promise<SignedPack> {
  const s = model.segment;
  const toSequence = s.toSequence ?? s.fromSequence - 1;
  const headDigest = s.headDigest ?? s.previousDigest;
  const first = await hub.store.readManifest(1);
  const marker = await signMarker(
    {
      storeId: first ? sha256Hex(first) : null,
      fromSequence: s.fromSequence,
      toSequence,
      previousDigest: s.previousDigest,
      headDigest,
      window: model.window,
      generatedAt: model.generatedAt,
      controls: model.controlsGlob,
    },
    key,
  );
  // The checkpoints of the window's bundles (each with its RFC 3161 token when a TSA witnessed it).
  const checkpoints: SignedPack['checkpoints'] = [];
  for (const b of selection.bundles) {
    const cp = await hub.store.readCheckpoint(b.sequence);
    if (!cp) continue;
    const token = await hub.store.readTimestampToken(b.sequence);
    checkpoints.push({ sequence: b.sequence, ...cp, ...(token ? { token } : {}) });
  }
  const transitions = await hub.store.listKeyTransitions();
  return { marker, keyId: key.keyId, toSequence, headDigest, checkpoints, transitions };
}

async function* packEntries(
  hub: ExportHub,
  model: PackModel,
  selection: Selection,
  signed: SignedPack,
  digests: Map<string, string>,
  problems: string[],
): AsyncGenerator<ArchiveEntry> {
  // The store's folders exist even when empty (a window without bundles), so the folder opens as a store.
  for (const d of ['blobs/sha256', 'checkpoints', 'keys', 'manifests', 'signatures'])
    yield { path: d, directory: true };
  yield { path: 'store.json', data: storeMarker };
  yield { path: markerFile, data: signed.marker.bytes };
  yield { path: markerSignatureFile, data: signed.marker.signature };
  yield {
    path: 'VERIFY.md',
    data: verifyDoc(model, {
      toSequence: signed.toSequence,
      headDigest: signed.headDigest,
      keyId: signed.keyId,
      checkpoints: signed.checkpoints.length,
      timestampTokens: signed.checkpoints.filter((c) => c.token).length,
      transitions: signed.transitions.length,
    }),
  };
  yield { path: 'verify.sh', data: verifyScript() };
  for (const k of selection.keys) {
    yield { path: `keys/${k.keyId}.json`, data: canonicalJson(k) };
    yield { path: `keys/${k.keyId}.pem`, data: k.publicKeyPem };
  }
  for (const t of signed.transitions) {
    yield { path: `keys/transitions/${t.newKeyId}.json`, data: t.body };
    if (t.signature) yield { path: `keys/transitions/${t.newKeyId}.sig`, data: t.signature };
    if (t.countersignature) yield { path: `keys/transitions/${t.newKeyId}.countersig`, data: t.countersignature };
  }
  for (const cp of signed.checkpoints) {
    yield { path: checkpointBodyPath(cp.sequence), data: cp.body };
    yield { path: checkpointSigPath(cp.sequence), data: cp.signature };
    if (cp.token) yield { path: checkpointBodyPath(cp.sequence).replace(/\.txt$/, '.tsr'), data: cp.token };
  }
  for (const b of selection.bundles) {
    const mtime = new Date(b.manifest.finishedAt);
    yield { path: manifestPath(b.sequence), data: b.bytes, mtime };
    if (b.signature) yield { path: signaturePath(b.digest), data: b.signature, mtime };
  }
  for (const blob of selection.blobs.values()) {
    if (!blob.tombstone) continue;
    yield { path: `tombstones/${blob.sha256}.json`, data: blob.tombstone.body };
    yield { path: `tombstones/${blob.sha256}.sig`, data: blob.tombstone.signature };
  }
  yield { path: 'index.json', data: packIndex(model) };
  yield { path: oscalInPack, data: oscalJson(model, { hrefBase: '../' }) };
  yield { path: summaryPage, data: renderSummary(model) };
  yield { path: soaCsvFile, data: soaCsv(model) };
  yield { path: soaHtmlFile, data: soaHtml(model) };
  for (const c of model.controls) yield { path: controlPage(c.id), data: renderControlPage(model, c) };
  const copied: string[] = [];
  const fast = fastBlobReads(hub.store);
  for (const blob of selection.blobs.values()) {
    if (blob.tombstone || blob.missing) continue;
    const p = blobPath(blob.sha256);
    copied.push(p);
    // A small blob of a filesystem store is read whole (evidence/blob-reads.ts); the rest is streamed.
    const whole = await fast?.read(blob.sha256);
    if (whole?.kind === 'whole') {
      if (whole.bytes.length !== blob.size)
        throw new Error(
          `${p}: ${whole.bytes.length} bytes read, ${blob.size} announced (the file changed while it was archived)`,
        );
      yield { path: p, data: whole.bytes };
    } else yield { path: p, size: blob.size, open: () => hub.store.openBlob(blob.sha256) };
  }
  // Every blob was hashed on its way into the archive; a mismatch means the store's copy was altered.
  for (const p of copied) {
    const actual = digests.get(p);
    if (actual !== p.slice(p.lastIndexOf('/') + 1))
      problems.push(
        `${p}: the stored bytes hash to ${actual?.slice(0, 12)}; the blob was altered in the store (verify will report it)`,
      );
  }
  const sums = [...digests.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([p, d]) => `${d}  ${p}\n`);
  yield { path: 'SHA256SUMS', data: sums.join('') };
}
