import { evaluate, type ControlResult, type IndexedArtifact, type SourceRun } from '../mappings/evaluate';
import type { MappingSet, NotApplicable } from '../mappings/load';
import { ArtifactBuckets } from '../mappings/buckets';
import type { CatalogName } from '../mappings/catalog';
import { sha256Hex } from '../core/digest';
import { codeUnitOrder } from '../core/order';
import { parseManifest, type Manifest } from './manifest';
import type { EvidenceStore } from './store';

/** An artifact in the index: what the evaluator needs, plus the controls its bundles mapped it to. */
export interface IndexEntry extends IndexedArtifact {
  controls: string[];
  /** Sequence of the first bundle that recorded this fact. */
  bundle: number;
}

export interface BundleSummaryRow {
  sequence: number;
  bundleId: string;
  digest: string;
  finishedAt: string;
  artifactCount: number;
}

/**
 * A derived cache over the manifests: never evidence itself, always rebuildable from them
 * (`evidence-hub index rebuild`), and checked against the chain head before use.
 */
export interface EvidenceIndex {
  format: 'evidence-hub/index@1';
  /** Artifacts newest first (observedAt, then id): the evaluator's preferred order. */
  artifacts: IndexEntry[];
  sourceRuns: SourceRun[];
  bundles: BundleSummaryRow[];
}

const indexFormat = 'evidence-hub/index@1';

function emptyIndex(): EvidenceIndex {
  return { format: indexFormat, artifacts: [], sourceRuns: [], bundles: [] };
}

/** Adds one manifest. The same fact (id, observedAt, sha256) seen again keeps its first collection time. */
function addManifest(
  index: EvidenceIndex,
  seen: Map<string, IndexEntry>,
  sequence: number,
  digest: string,
  m: Manifest,
): void {
  const finished = Date.parse(m.finishedAt);
  index.bundles.push({
    sequence,
    bundleId: m.bundleId,
    digest,
    finishedAt: m.finishedAt,
    artifactCount: m.artifacts.length,
  });
  for (const s of m.sources) {
    index.sourceRuns.push({
      source: s.source,
      sourceType: s.sourceType,
      at: finished,
      status: s.status,
      ...(s.status === 'failed'
        ? { error: `${s.error.type}: ${s.error.message}`, errorType: s.error.type }
        : s.status === 'partial'
          ? { error: s.problems.join('; ') }
          : {}),
    });
  }
  const controlsOf = new Map<string, string[]>();
  for (const [control, ids] of Object.entries(m.controls))
    for (const id of ids) controlsOf.set(id, [...(controlsOf.get(id) ?? []), control]);
  for (const a of m.artifacts) {
    const key = `${a.id}\u0000${a.observedAt}\u0000${a.sha256}`;
    const collectedAt = Date.parse(a.collectedAt);
    const controls = controlsOf.get(a.id) ?? [];
    const prev = seen.get(key);
    if (prev) {
      prev.controls = [...new Set([...prev.controls, ...controls])].sort();
      if (collectedAt < prev.collectedAt) prev.collectedAt = collectedAt;
      continue;
    }
    const entry: IndexEntry = {
      id: a.id,
      source: a.source,
      sourceType: a.sourceType,
      kind: a.kind,
      attributes: a.attributes,
      observedAt: Date.parse(a.observedAt),
      collectedAt,
      sha256: a.sha256,
      controls: [...controls].sort(),
      bundle: sequence,
    };
    seen.set(key, entry);
    index.artifacts.push(entry);
  }
}

function sortIndex(index: EvidenceIndex): void {
  index.artifacts.sort(
    (a, b) => b.observedAt - a.observedAt || codeUnitOrder(a.id, b.id) || a.sha256.localeCompare(b.sha256),
  );
}

function keyOf(e: IndexEntry): string {
  return `${e.id}\u0000${new Date(e.observedAt).toISOString()}\u0000${e.sha256}`;
}

async function appendManifests(store: EvidenceStore, index: EvidenceIndex, sequences: number[]): Promise<void> {
  const seen = new Map(index.artifacts.map((e) => [keyOf(e), e]));
  for (const seq of sequences) {
    const bytes = await store.readManifest(seq);
    if (!bytes) continue; // a gap: verify reports it; the index holds what exists
    addManifest(index, seen, seq, sha256Hex(bytes), parseManifest(bytes));
  }
  sortIndex(index);
}

/** Builds the index from the manifests alone, and saves it as the store's cache. */
export async function rebuildIndex(store: EvidenceStore): Promise<EvidenceIndex> {
  const index = emptyIndex();
  await appendManifests(store, index, await store.sequences());
  await store.writeIndexCache(serializeIndex(index));
  return index;
}

/**
 * The index, from the cache when it still matches the chain: new bundles are added incrementally; a
 * cache that disagrees with the manifests it covers (or cannot be read) is rebuilt from scratch.
 */
export async function loadIndex(store: EvidenceStore): Promise<EvidenceIndex> {
  const cached = await store.readIndexCache();
  const index = cached ? parseIndex(cached) : undefined;
  const sequences = await store.sequences();
  if (!index) return rebuildIndex(store);
  const last = index.bundles.at(-1);
  if (last) {
    const bytes = await store.readManifest(last.sequence);
    if (!bytes || sha256Hex(bytes) !== last.digest) return rebuildIndex(store);
  }
  const newer = sequences.filter((s) => s > (last?.sequence ?? 0));
  if (newer.length === 0) return index;
  await appendManifests(store, index, newer);
  await store.writeIndexCache(serializeIndex(index));
  return index;
}

/** NDJSON: a header line, then one artifact per line (a million artifacts never form one giant string). */
export function serializeIndex(index: EvidenceIndex): Buffer {
  const lines = [JSON.stringify({ format: index.format, bundles: index.bundles, sourceRuns: index.sourceRuns })];
  for (const a of index.artifacts) lines.push(JSON.stringify(a));
  return Buffer.from(lines.join('\n') + '\n');
}

function parseIndex(bytes: Buffer): EvidenceIndex | undefined {
  try {
    const lines = bytes
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    const header = JSON.parse(lines[0]!) as Omit<EvidenceIndex, 'artifacts'>;
    if (header.format !== indexFormat) return undefined;
    return { ...header, artifacts: lines.slice(1).map((l) => JSON.parse(l) as IndexEntry) };
  } catch {
    return undefined;
  }
}

export interface EvidenceRow {
  id: string;
  control: string;
  observedAt: string;
  collectedAt: string;
  sha256: string;
  bundle: number;
}

const row = (e: IndexEntry, control: string): EvidenceRow => ({
  id: e.id,
  control,
  observedAt: new Date(e.observedAt).toISOString(),
  collectedAt: new Date(e.collectedAt).toISOString(),
  sha256: e.sha256,
  bundle: e.bundle,
});

/** The newest evidence per control, as known at `asOf` (default: everything). */
export function newestPerControl(index: EvidenceIndex, asOf?: Date): Record<string, EvidenceRow> {
  const limit = asOf?.getTime() ?? Number.POSITIVE_INFINITY;
  const out: Record<string, EvidenceRow> = {};
  for (const e of index.artifacts) {
    if (e.observedAt > limit || e.collectedAt > limit) continue;
    for (const c of e.controls) if (!out[c]) out[c] = row(e, c); // newest first: the first one wins
  }
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((c) => [c, out[c]!]),
  );
}

/** Evidence mapped to `control` and observed between `from` and `to` (inclusive), newest first. */
export function evidenceForControl(index: EvidenceIndex, control: string, from: Date, to: Date): EvidenceRow[] {
  return index.artifacts
    .filter((e) => e.controls.includes(control) && e.observedAt >= from.getTime() && e.observedAt <= to.getTime())
    .map((e) => row(e, control));
}

export async function readManifest(store: EvidenceStore, sequence: number): Promise<Manifest | undefined> {
  const bytes = await store.readManifest(sequence);
  if (!bytes) return undefined;
  return parseManifest(bytes);
}

/** Every control's status from what the store holds, as known at `now`. Nothing outside the store is read. */
export async function evaluateStore(
  store: EvidenceStore,
  mappings: MappingSet,
  notApplicable: readonly NotApplicable[],
  now: Date,
): Promise<ControlResult[]> {
  const index = await loadIndex(store);
  return evaluate({ artifacts: index.artifacts, sourceRuns: index.sourceRuns, mappings, notApplicable, now });
}

/**
 * Each named catalog's results (Annex A, the management-system clauses) from one read of the index,
 * grouped once: `status --catalog all` judges both without reading the store twice.
 */
export async function evaluateStoreCatalogs(
  store: EvidenceStore,
  mappings: MappingSet,
  notApplicable: readonly NotApplicable[],
  now: Date,
  catalogs: readonly CatalogName[],
): Promise<Partial<Record<CatalogName, ControlResult[]>>> {
  const index = await loadIndex(store);
  const artifacts = ArtifactBuckets.of(index.artifacts);
  const out: Partial<Record<CatalogName, ControlResult[]>> = {};
  for (const catalog of catalogs)
    out[catalog] = evaluate({ artifacts, sourceRuns: index.sourceRuns, mappings, notApplicable, now, catalog });
  return out;
}
