import { ArtifactBuckets } from '../../mappings/buckets';
import picomatch from 'picomatch';
import { formatDuration } from '../../core/duration';
import { evaluate, type ControlCause, type ControlResult, type ControlStatus } from '../../mappings/evaluate';
import type { SoaApproval } from '../../mappings/causes';
import { dateKindOf, type DateKind } from '../../mappings/date-kind';
import type { MappingSet, NotApplicable, Rule } from '../../mappings/load';
import { loadIndex, type EvidenceIndex, type IndexEntry } from '../index';
import type { ArtifactRecord } from '../manifest';
import type { EvidenceStore, KeyRecord } from '../store';
import { ExportError } from './archive';
import { selectWindow, type Selection } from './select';

/** What an export needs from a hub: the store, the mappings that judge it, and the SoA. A `Hub` will do. */
export interface ExportHub {
  store: EvidenceStore;
  mappings: MappingSet;
  notApplicable: readonly NotApplicable[];
}

export interface PackWindowOptions {
  from: Date;
  to: Date;
  /** Glob over control ids (e.g. "A.6.*"): narrows the report, index evaluation and OSCAL, not the bundles. */
  controls?: string;
  /** The export time (default now); evaluation never looks past it. */
  now?: Date;
}

/** One fact in the pack: an artifact version (id, observedAt, sha256), however many bundles recorded it. */
export interface PackArtifact {
  id: string;
  source: string;
  sourceType: string;
  kind: string;
  externalId: string;
  observedAt: string;
  /** The earliest collection among the pack's bundles. */
  collectedAt: string;
  sha256: string;
  size: number;
  mediaType: string;
  /** Path of the blob inside the pack (relative to its root). */
  blob: string;
  /** When it stops being current: observedAt plus the shortest max age of the mapping rules that select it. */
  expires?: string;
  /** present: the bytes are in the pack; pruned: a signed tombstone stands in; missing: neither. */
  state: 'present' | 'pruned' | 'missing';
  bundles: number[];
  controls: string[];
  provenance: ArtifactRecord['provenance'];
}

export interface TimelinePoint {
  at: string;
  status: ControlStatus;
  cause: ControlCause;
  /** The cause as a sentence (mappings/reasons.ts). */
  reason: string;
  /** As ControlResult.dueAt: when the deciding rule's evidence goes (went) stale. */
  dueAt?: string;
}

/** An artifact the evaluator used for the status at the end of the window. */
export interface DecidingEvidence {
  id: string;
  observedAt: string;
  /** What `observedAt` is (effective, event time, file time ...: mappings/date-kind.ts). */
  dateKind: DateKind;
  sha256: string;
  /** The bundle that first recorded it. */
  bundle: number;
  /** Recorded by a bundle inside the pack (false: it was collected before the window and is not included). */
  inPack: boolean;
}

/** One management-system clause in the pack: its status at the evaluation end and the evidence that decided. */
export interface ClauseView {
  id: string;
  title: string;
  groupTitle: string;
  result: ControlResult;
}

export interface ControlView {
  id: string;
  title: string;
  group: string;
  groupTitle: string;
  /** The sub-group (A.6.1, A.6.2) and its title, where the catalog has one. */
  subgroup?: { id: string; title: string };
  /** Status at the end of the evaluation (the window end, or the export time if that is earlier). */
  result: ControlResult;
  timeline: TimelinePoint[];
  /** Pack artifacts mapped to this control, newest observation first. */
  evidence: PackArtifact[];
  decidedBy: DecidingEvidence[];
  rules: {
    id: string;
    evidence: Rule['evidence'];
    /** Shown on the control, never deciding its status. */
    informational: boolean;
    freshness: string;
    description?: string;
  }[];
  justification?: string;
}

export interface BundleView {
  sequence: number;
  bundleId: string;
  digest: string;
  previousDigest: string | null;
  startedAt: string;
  finishedAt: string;
  trigger: string;
  keyId: string;
  merkleRoot: string;
  mappingDigest: string;
  artifactCount: number;
  manifest: string;
  signature: string;
  sources: { source: string; sourceType: string; status: string; artifactCount: number }[];
}

export interface CollectionFailure {
  sequence: number;
  bundleId: string;
  finishedAt: string;
  source: string;
  sourceType: string;
  status: 'failed' | 'partial';
  error: string;
}

export interface PackModel {
  generatedAt: string;
  window: { from: string; to: string };
  /** Evaluation end: the window end, or the export time when the window reaches into the future. */
  evaluatedAt: string;
  controlsGlob?: string;
  framework: { id: string; title: string; catalogVersion: string };
  mappingDigest: string;
  segment: { fromSequence: number; toSequence?: number; previousDigest: string | null; headDigest?: string };
  bundles: BundleView[];
  artifacts: PackArtifact[];
  /** The controls selected by the glob (all of the catalog by default), in catalog order. */
  controls: ControlView[];
  /**
   * Statement of Applicability over the whole catalog (whatever the glob), with each control's status at
   * the evaluation end and the rules that decide it (evidence/export/soa.ts writes it as CSV and HTML).
   * `soa`: the version and approval of the SoA that excluded the control (not-applicable rows only).
   */
  soa: {
    control: string;
    title: string;
    applicable: boolean;
    justification?: string;
    soa?: SoaApproval;
    status: ControlStatus;
    reason: string;
    rules: ControlView['rules'];
  }[];
  /**
   * The management-system clauses (mappings/catalog.ts) matching the glob, as evaluated at the evaluation
   * end: shown in the report and pack index beside the controls, never in the SoA or OSCAL (Annex A only).
   */
  clauses: ClauseView[];
  failures: CollectionFailure[];
  keys: KeyRecord[];
  /** Times at which every control was evaluated: window start, each month start, evaluation end. */
  points: string[];
  problems: string[];
}

export const blobPath = (sha256: string) => `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
export const manifestPath = (sequence: number) => `manifests/${String(sequence).padStart(12, '0')}.json`;
export const signaturePath = (digest: string) => `signatures/${digest}.sig`;

/**
 * Everything the pack's documents are rendered from. Bundles come from the window only; the evaluation
 * uses everything the store knew at each point in time (as `status --as-of` does), because evidence
 * collected before the window can still be what keeps a control current inside it. Such evidence is named
 * in the report (`decidedBy`, `inPack: false`) but its bytes are not in the pack.
 */
export async function buildPackModel(
  hub: ExportHub,
  options: PackWindowOptions,
): Promise<{ model: PackModel; selection: Selection }> {
  const now = options.now ?? new Date();
  const { from, to } = options;
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new ExportError('the window needs valid --from and --to dates');
  if (from.getTime() > to.getTime())
    throw new ExportError(`the window starts (${from.toISOString()}) after it ends (${to.toISOString()})`);
  if (from.getTime() > now.getTime()) throw new ExportError(`the window starts in the future (${from.toISOString()})`);
  const catalog = hub.mappings.catalog;
  const match = options.controls ? picomatch(options.controls) : () => true;
  const selected = catalog.controls.filter((c) => match(c.id));
  if (selected.length === 0)
    throw new ExportError(`--controls "${options.controls}" matches none of the ${catalog.controls.length} controls`);

  const index = await loadIndex(hub.store);
  const selection = await selectWindow(hub.store, index, from, to);
  const evaluatedAt = new Date(Math.min(to.getTime(), now.getTime()));
  const points = timelinePoints(from, evaluatedAt);
  // The timeline evaluates the same index at every point: group it once.
  const buckets = ArtifactBuckets.of(index.artifacts);
  const evaluations = points.map((at) =>
    byControl(
      evaluate({
        artifacts: buckets,
        sourceRuns: index.sourceRuns,
        mappings: hub.mappings,
        notApplicable: hub.notApplicable,
        now: at,
      }),
    ),
  );
  const final = evaluations.at(-1)!;
  const clauses = evaluate({
    artifacts: buckets,
    sourceRuns: index.sourceRuns,
    mappings: hub.mappings,
    notApplicable: hub.notApplicable,
    now: evaluatedAt,
    catalog: 'clauses',
  })
    .filter((r) => match(r.control.id))
    .map((r): ClauseView => ({
      id: r.control.id,
      title: r.control.title,
      groupTitle: r.control.groupTitle,
      result: r,
    }));

  const artifacts = packArtifacts(selection, hub.mappings.rules);
  const packKeys = new Set(artifacts.map(factKey));
  const deciding = decidingEntries(
    index,
    selected.map((c) => final.get(c.id)!),
    evaluatedAt.getTime(),
  );
  const na = new Map(hub.notApplicable.map((n) => [n.control, n.justification]));
  const soaOf = new Map(hub.notApplicable.map((n) => [n.control, n.soa]));
  const rulesOf = (control: string): ControlView['rules'] =>
    hub.mappings.rules
      .filter((r) => r.controls.includes(control))
      .map((r) => ({
        id: r.id,
        evidence: r.evidence,
        informational: r.informational,
        freshness: freshnessText(r),
        ...(r.description ? { description: r.description } : {}),
      }));

  const controls = selected.map((c): ControlView => {
    const result = final.get(c.id)!;
    const justification = na.get(c.id);
    return {
      id: c.id,
      title: c.title,
      group: c.group,
      groupTitle: c.groupTitle,
      ...(c.subgroup !== undefined ? { subgroup: { id: c.subgroup, title: c.subgroupTitle ?? c.subgroup } } : {}),
      result,
      timeline: points.map((at, i) => {
        const r = evaluations[i]!.get(c.id)!;
        return {
          at: at.toISOString(),
          status: r.status,
          cause: r.cause,
          reason: r.reason,
          ...(r.dueAt ? { dueAt: r.dueAt } : {}),
        };
      }),
      evidence: artifacts.filter((a) => a.controls.includes(c.id)),
      decidedBy: result.evidence.flatMap((id) => {
        const e = deciding.get(id);
        return e
          ? [
              {
                id,
                observedAt: iso(e.observedAt),
                dateKind: dateKindOf(e),
                sha256: e.sha256,
                bundle: e.bundle,
                inPack: packKeys.has(`${e.id}\u0000${iso(e.observedAt)}\u0000${e.sha256}`),
              },
            ]
          : [];
      }),
      rules: rulesOf(c.id),
      ...(justification !== undefined ? { justification } : {}),
    };
  });

  const bundles = selection.bundles.map((b): BundleView => ({
    sequence: b.sequence,
    bundleId: b.manifest.bundleId,
    digest: b.digest,
    previousDigest: b.manifest.previousDigest,
    startedAt: b.manifest.startedAt,
    finishedAt: b.manifest.finishedAt,
    trigger: b.manifest.trigger.type,
    keyId: b.manifest.signing.keyId,
    merkleRoot: b.manifest.merkleRoot,
    mappingDigest: b.manifest.mappingDigest,
    artifactCount: b.manifest.artifacts.length,
    manifest: manifestPath(b.sequence),
    signature: signaturePath(b.digest),
    sources: b.manifest.sources.map((s) => ({
      source: s.source,
      sourceType: s.sourceType,
      status: s.status,
      artifactCount: s.artifactCount,
    })),
  }));
  const failures = selection.bundles.flatMap((b) =>
    b.manifest.sources.flatMap((s): CollectionFailure[] =>
      s.status === 'ok'
        ? []
        : [
            {
              sequence: b.sequence,
              bundleId: b.manifest.bundleId,
              finishedAt: b.manifest.finishedAt,
              source: s.source,
              sourceType: s.sourceType,
              status: s.status,
              error: s.status === 'failed' ? `${s.error.type}: ${s.error.message}` : s.problems.join('; '),
            },
          ],
    ),
  );
  const last = selection.bundles.at(-1);
  const model: PackModel = {
    generatedAt: now.toISOString(),
    window: { from: from.toISOString(), to: to.toISOString() },
    evaluatedAt: evaluatedAt.toISOString(),
    ...(options.controls ? { controlsGlob: options.controls } : {}),
    framework: {
      id: catalog.framework.id,
      title: catalog.framework.title,
      catalogVersion: catalog.framework.catalogVersion,
    },
    mappingDigest: hub.mappings.digest,
    segment: {
      fromSequence: selection.fromSequence,
      previousDigest: selection.previousDigest,
      ...(last ? { toSequence: last.sequence, headDigest: last.digest } : {}),
    },
    bundles,
    artifacts,
    controls,
    clauses,
    soa: catalog.controls.map((c) => {
      const j = na.get(c.id);
      const approval = soaOf.get(c.id);
      const result = final.get(c.id)!;
      return {
        control: c.id,
        title: c.title,
        applicable: j === undefined,
        ...(j !== undefined ? { justification: j, soa: approval ?? {} } : {}),
        status: result.status,
        reason: result.reason,
        rules: rulesOf(c.id),
      };
    }),
    failures,
    keys: selection.keys,
    points: points.map((p) => p.toISOString()),
    problems: selection.problems,
  };
  return { model, selection };
}

/** The window start, the start of every calendar month (UTC) inside the window, and its end. */
export function timelinePoints(from: Date, end: Date): Date[] {
  const points = [from];
  let y = from.getUTCFullYear();
  let m = from.getUTCMonth() + 1;
  for (;;) {
    const t = Date.UTC(y, m, 1);
    if (t >= end.getTime()) break;
    if (t > from.getTime()) points.push(new Date(t));
    m++;
    if (m === 12) {
      m = 0;
      y++;
    }
  }
  if (end.getTime() > from.getTime()) points.push(end);
  return points;
}

function byControl(results: ControlResult[]): Map<string, ControlResult> {
  return new Map(results.map((r) => [r.control.id, r]));
}

const iso = (ms: number) => new Date(ms).toISOString();
const factKey = (a: { id: string; observedAt: string; sha256: string }) =>
  `${a.id}\u0000${a.observedAt}\u0000${a.sha256}`;

function packArtifacts(selection: Selection, rules: readonly Rule[]): PackArtifact[] {
  const facts = new Map<string, PackArtifact>();
  // A rule's selectors only match records of its scopes' source types and kinds (mappings/select.ts), so
  // each new fact is tested against those rules only: every rule for every fact dominated a year's export.
  const maxAgeRules = rules.filter((r) => r.freshness.type === 'maxAge');
  const rulesByScope = new Map<string, Rule[]>();
  const maxAgeRulesFor = (a: { sourceType: string; kind: string }): Rule[] => {
    const key = `${a.sourceType}\u0000${a.kind}`;
    let list = rulesByScope.get(key);
    if (!list) {
      list = maxAgeRules.filter((r) =>
        r.scopes.some((s) => s.sourceType === a.sourceType && (s.kind === undefined || s.kind === a.kind)),
      );
      rulesByScope.set(key, list);
    }
    return list;
  };
  for (const b of selection.bundles) {
    const controlsOf = new Map<string, string[]>();
    for (const [control, ids] of Object.entries(b.manifest.controls))
      for (const id of ids) {
        const list = controlsOf.get(id);
        if (list) list.push(control);
        else controlsOf.set(id, [control]);
      }
    for (const a of b.manifest.artifacts) {
      const observedAt = new Date(a.observedAt).toISOString();
      const collectedAt = new Date(a.collectedAt).toISOString();
      const key = factKey({ id: a.id, observedAt, sha256: a.sha256 });
      const controls = controlsOf.get(a.id) ?? [];
      const prev = facts.get(key);
      if (prev) {
        if (!prev.bundles.includes(b.sequence)) prev.bundles.push(b.sequence);
        // A deep sweep records every artifact again, mostly under the same controls: merge only what changes.
        if (!sortedUnique(prev.controls) || controls.some((c) => !prev.controls.includes(c)))
          prev.controls = [...new Set([...prev.controls, ...controls])].sort();
        if (collectedAt < prev.collectedAt) prev.collectedAt = collectedAt;
        continue;
      }
      const blob = selection.blobs.get(a.sha256);
      const maxAges = maxAgeRulesFor(a).flatMap((r) =>
        r.freshness.type === 'maxAge' && r.matches(a) ? [r.freshness.maxAgeMs] : [],
      );
      facts.set(key, {
        id: a.id,
        source: a.source,
        sourceType: a.sourceType,
        kind: a.kind,
        externalId: a.externalId,
        observedAt,
        collectedAt,
        sha256: a.sha256,
        size: a.size,
        mediaType: a.mediaType,
        blob: blobPath(a.sha256),
        ...(maxAges.length > 0 ? { expires: iso(Date.parse(observedAt) + Math.min(...maxAges)) } : {}),
        state: blob?.missing ? 'missing' : blob?.tombstone ? 'pruned' : 'present',
        bundles: [b.sequence],
        controls: [...controls].sort(),
        provenance: a.provenance,
      });
    }
  }
  return [...facts.values()].sort(
    (a, b) => b.observedAt.localeCompare(a.observedAt) || a.id.localeCompare(b.id) || a.sha256.localeCompare(b.sha256),
  );
}

/** Whether a sorted list holds no value twice (then merging in values it already has leaves it as is). */
function sortedUnique(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i] === list[i - 1]) return false;
  return true;
}

/** For each artifact id the final evaluation relied on: the newest record of it known at `end`. */
function decidingEntries(index: EvidenceIndex, results: ControlResult[], end: number): Map<string, IndexEntry> {
  const wanted = new Set(results.flatMap((r) => r.evidence));
  const out = new Map<string, IndexEntry>();
  for (const e of index.artifacts) {
    if (wanted.size === out.size) break;
    if (!wanted.has(e.id) || out.has(e.id) || e.observedAt > end || e.collectedAt > end) continue;
    out.set(e.id, e); // the index is newest first
  }
  return out;
}

function freshnessText(rule: Rule): string {
  const f = rule.freshness;
  const grace = f.graceMs > 0 ? `, grace ${formatDuration(f.graceMs)}` : '';
  const count = rule.minCount > 1 ? `, at least ${rule.minCount} records` : '';
  return f.type === 'maxAge'
    ? `max age ${f.text}${grace}${count}`
    : `${f.text} within ${formatDuration(f.windowMs)}${grace}`;
}
