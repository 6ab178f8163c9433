import { statuses, type ControlStatus } from '../../mappings/evaluate';
import { canonicalJson } from '../../core/digest';
import { segmentMarkerFile, segmentMarkerFormat } from '../verify';
import { archiveFormat, archiveRoot, writeArchive, type ArchiveFormat } from './archive';
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
import { packIndex } from './pack-index';
import { htmlToPdf } from './pdf';
import type { Selection } from './select';
import type { ArchiveEntry } from './tar';
import { verifyDoc } from './verify-doc';

export { ExportError, type ArchiveFormat } from './archive';
export { buildPackModel, type ExportHub, type PackModel, type PackWindowOptions } from './model';
export { buildOscal, exportOscal, oscalInPack } from './oscal';
export { htmlToPdf, chromiumFlags, defaultChromium } from './pdf';

export interface ExportOptions extends PackWindowOptions {
  /** The archive to write; its extension picks the format unless `format` is given. */
  out: string;
  format?: ArchiveFormat;
  /** Also print the summary page to this PDF with headless Chromium (optional; the archive never needs it). */
  pdf?: string;
  chromium?: string;
}

export interface ExportResult {
  out: string;
  format: ArchiveFormat;
  /** The folder everything in the archive sits under. */
  root: string;
  bundles: number[];
  fromSequence: number;
  previousDigest: string | null;
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
  const root = archiveRoot(options.out);
  const digests = new Map<string, string>();
  const problems = [...model.problems];
  const generatedAt = new Date(model.generatedAt);

  await writeArchive(
    options.out,
    format,
    root,
    packEntries(hub, model, selection, digests, problems),
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
    blobs: [...selection.blobs.values()].filter((b) => !b.tombstone && !b.missing).length,
    tombstones: [...selection.blobs.values()].filter((b) => b.tombstone).length,
    files: digests.size,
    controls: model.controls.length,
    counts,
    problems,
  };
  if (options.pdf) {
    try {
      await htmlToPdf(renderSummary(model), options.pdf, options.chromium ? { chromium: options.chromium } : {});
      result.pdf = options.pdf;
    } catch (err) {
      result.pdfError = (err as Error).message;
    }
  }
  return result;
}

async function* packEntries(
  hub: ExportHub,
  model: PackModel,
  selection: Selection,
  digests: Map<string, string>,
  problems: string[],
): AsyncGenerator<ArchiveEntry> {
  // The store's folders exist even when empty (a window without bundles), so the folder opens as a store.
  for (const d of ['blobs/sha256', 'keys', 'manifests', 'signatures']) yield { path: d, directory: true };
  yield { path: 'store.json', data: storeMarker };
  yield {
    path: segmentMarkerFile,
    data: canonicalJson({
      format: segmentMarkerFormat,
      fromSequence: model.segment.fromSequence,
      toSequence: model.segment.toSequence,
      previousDigest: model.segment.previousDigest,
      window: model.window,
      controls: model.controlsGlob,
      generatedAt: model.generatedAt,
      note: 'An audit pack: only the bundles sealed in the window. previousDigest is the sha256 of the manifest before fromSequence, which is not included.',
    }),
  };
  yield { path: 'VERIFY.md', data: verifyDoc(model) };
  for (const k of selection.keys) {
    yield { path: `keys/${k.keyId}.json`, data: canonicalJson(k) };
    yield { path: `keys/${k.keyId}.pem`, data: k.publicKeyPem };
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
  for (const c of model.controls) yield { path: controlPage(c.id), data: renderControlPage(model, c) };
  const copied: string[] = [];
  for (const blob of selection.blobs.values()) {
    if (blob.tombstone || blob.missing) continue;
    const p = blobPath(blob.sha256);
    copied.push(p);
    yield { path: p, size: blob.size, open: () => hub.store.openBlob(blob.sha256) };
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
