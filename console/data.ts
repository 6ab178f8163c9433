import type { Readable } from 'node:stream';
import { evidenceForControl, loadIndex, readManifest, type EvidenceIndex, type EvidenceRow } from '../evidence/index';
import type { EvidenceStore } from '../evidence/store';
import type { ControlResult, SourceRun } from '../mappings/evaluate';
import type { ReadinessForecast } from '../mappings/readiness';

/**
 * What the console reads. `status` is injected by the CLI (cli/console-evaluations.ts, evaluating as
 * `evidence-hub status` does), so the console shows exactly what `status` prints; the rest comes from the
 * store's index.
 */
export interface ConsoleSources {
  store: EvidenceStore;
  status(options?: { controls?: string; asOf?: string }): Promise<{
    asOf: string;
    results: ControlResult[];
    /**
     * The management-system clauses' results (`status --catalog clauses`), shown beside the controls; from the
     * same evaluation as `results`, so a page never shows controls and clauses of two different store heads.
     * `controls` filters both, as `status --controls "9.*"` does.
     */
    clauses: ControlResult[];
    /** The source runs and bundle rows of the index these results were evaluated from (the overview's facts). */
    runs: IndexRuns;
    reevaluation?: Reevaluation | undefined;
  }>;
  /** The next audit's readiness forecast (`readiness`'s data function); absent without an `audits:` calendar. */
  readiness?: (() => Promise<ReadinessForecast | undefined>) | undefined;
  /** The config declares an AI system inventory (`aiSystems:`): controls filter by system (console/systems.ts). */
  aiSystems?: boolean | undefined;
  /** The configured sources whose type feeds a control (as `sweep --controls <id>` picks them). */
  sourcesFeeding?: ((control: string) => string[]) | undefined;
}

/** The small tables of the evidence index: every source run and every bundle (no artifacts). */
export type IndexRuns = Pick<EvidenceIndex, 'sourceRuns' | 'bundles'>;

/**
 * Set while the results shown are an earlier evaluation, served at once while the store's current head is
 * evaluated in the background (console/evaluation-cache.ts): pages say so, the API carries it, so nobody
 * takes older results for current ones.
 */
export interface Reevaluation {
  evaluating: true;
  /** The newest bundle sequence the shown results include (0: none). */
  evaluatedBundle: number;
  /** The newest bundle sequence in the store now (the same when only the day or a due date moved on). */
  newestBundle: number;
}

export interface Overview {
  asOf: string;
  reevaluation?: Reevaluation | undefined;
  counts: Record<string, number>;
  /** Each source whose latest run failed, with the error it recorded. */
  failedSources: SourceRun[];
  lastSweep?: { sequence: number; bundleId: string; finishedAt: string; artifactCount: number } | undefined;
  /** Every control's result, for the sections that rank them (console/overview-extras.ts). */
  results: ControlResult[];
}

export async function overview(src: ConsoleSources): Promise<Overview> {
  // The last sweep and failed sources from the index tables of the same evaluation as the counts.
  const { asOf, results, runs: index, reevaluation } = await src.status();
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  const latest = new Map<string, SourceRun>();
  for (const run of index.sourceRuns)
    if ((latest.get(run.source)?.at ?? -Infinity) < run.at) latest.set(run.source, run);
  const last = index.bundles.reduce<EvidenceIndex['bundles'][number] | undefined>(
    (a, b) => (a && a.sequence > b.sequence ? a : b),
    undefined,
  );
  return {
    asOf,
    ...(reevaluation ? { reevaluation } : {}),
    counts,
    results,
    failedSources: [...latest.values()]
      .filter((r) => r.status === 'failed')
      .sort((a, b) => (a.source < b.source ? -1 : 1)),
    lastSweep: last
      ? {
          sequence: last.sequence,
          bundleId: last.bundleId,
          finishedAt: last.finishedAt,
          artifactCount: last.artifactCount,
        }
      : undefined,
  };
}

/** One control as its page shows it: the evaluation, and every record mapped to it, newest first. */
export async function controlDetail(
  src: ConsoleSources,
  id: string,
): Promise<
  { asOf: string; result: ControlResult; evidence: EvidenceRow[]; reevaluation?: Reevaluation | undefined } | undefined
> {
  const { asOf, results, reevaluation } = await src.status();
  const result = results.find((r) => r.control.id === id);
  if (!result) return undefined;
  const index = await loadIndex(src.store);
  const evidence = evidenceForControl(index, id, new Date(0), new Date(asOf));
  return { asOf, result, evidence, ...(reevaluation ? { reevaluation } : {}) };
}

/** A blob id the console accepts: a lowercase SHA-256. Anything else (paths, dots, slashes) never reaches the store. */
export const blobIdPattern = /^[0-9a-f]{64}$/;

export interface BlobDownload {
  mediaType: string;
  /** A file name for the download, reduced to safe characters. */
  filename: string;
  size: number;
  open(): Readable;
}

/**
 * A blob the index knows as evidence (never an arbitrary store object), with the media type and name its
 * manifest recorded. Undefined for an odd id, an unknown blob, or one that retention removed.
 */
export async function evidenceBlob(src: ConsoleSources, sha256: string): Promise<BlobDownload | undefined> {
  if (!blobIdPattern.test(sha256)) return undefined;
  const entry = (await loadIndex(src.store)).artifacts.find((a) => a.sha256 === sha256);
  if (!entry) return undefined;
  const size = await src.store.blobSize(sha256);
  if (size === undefined) return undefined;
  const record = (await readManifest(src.store, entry.bundle))?.artifacts.find((a) => a.sha256 === sha256);
  const base = (record?.externalId ?? entry.id).split(/[\\/]/).pop() ?? 'evidence';
  const filename = base.replace(/[^\w.-]+/g, '_').slice(0, 100) || 'evidence';
  return {
    mediaType: record?.mediaType ?? 'application/octet-stream',
    filename,
    size,
    open: () => src.store.openBlob(sha256),
  };
}
