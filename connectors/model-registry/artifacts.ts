import { Readable } from 'node:stream';
import { canonicalJson } from '../../core/digest';
import type { JsonValue } from '../../core/json';
import type { ArtifactMeta, CollectionStep } from '../types';
import { isProduction, type Emitted, type RegistryContext } from './context';
import { datasetDigestKind } from './digests';
import type { Cursor } from './state';
import type { RegistryModel, RegistryModelVersion, VersionDetails } from './types';

/** The first non-empty value among `keys`, looked up in each tag set in turn. */
export function tagValue(keys: string[], ...tagSets: Record<string, string>[]): string | undefined {
  for (const tags of tagSets) {
    for (const k of keys) {
      const v = tags[k];
      if (v !== undefined && v !== '') return v;
    }
  }
  return undefined;
}

/** Attributes every artifact of a version carries. */
export function common(cx: RegistryContext, v: RegistryModelVersion): Record<string, JsonValue> {
  return {
    registry: cx.client.registry,
    model: v.model,
    version: v.version,
    modelVersion: `${v.model}/${v.version}`,
  };
}

/** The `registered-model` artifact. */
export function registeredModelArtifact(
  cx: RegistryContext,
  model: RegistryModel,
  versionCount: number,
  productionVersions: string[],
  observedAt: number,
): Emitted {
  const t = cx.opts.tags;
  const owner = tagValue(t.owner, model.tags);
  const attributes: Record<string, JsonValue> = {
    registry: cx.client.registry,
    model: model.name,
    tags: model.tags,
    aliases: model.aliases,
    versionCount,
    productionVersions,
    hasOwner: owner !== undefined,
    ...optional({
      description: model.description,
      owner,
      intendedUse: tagValue(t.intendedUse, model.tags),
      riskClass: tagValue(t.riskClass, model.tags),
      createdAt: isoOrUndefined(model.createdAt),
      updatedAt: isoOrUndefined(model.updatedAt),
    }),
  };
  return {
    externalId: `models/${model.name}`,
    kind: 'registered-model',
    observedAt,
    mediaType: 'application/json',
    attributes,
    endpoint: model.endpoint,
    body: canonicalJson({ attributes, registeredModel: model.raw }),
  };
}

/** The `model-version` artifact, and the gaps it records (a production version with gaps is rechecked). */
export function modelVersionArtifact(
  cx: RegistryContext,
  v: RegistryModelVersion,
  model: RegistryModel,
  details: VersionDetails,
  observedAt: number,
  observedAtFrom: string,
): { artifact: Emitted; gaps: string[] } {
  const { attributes: fromDetails, gaps } = detailAttributes(cx, details);
  const attributes = { ...fromDetails, ...listingAttributes(cx, v, model, observedAtFrom), gaps };
  return {
    gaps,
    artifact: versionRecord(v, observedAt, attributes, details.run?.raw ?? null),
  };
}

/**
 * The `model-version` artifact of a version whose tags or aliases alone changed: what its run and cards
 * said is taken from the previous record (read back from the store), the listing's part is current. Saves
 * reading the run and the card listing again, and re-sealing cards that did not change.
 */
export function rebuiltVersionArtifact(
  cx: RegistryContext,
  v: RegistryModelVersion,
  model: RegistryModel,
  previous: { attributes: Record<string, JsonValue>; run: JsonValue },
  observedAt: number,
  observedAtFrom: string,
): Emitted {
  const kept: Record<string, JsonValue> = { ...previous.attributes };
  // Listing attributes that may have disappeared (a tag removed) must not survive from the old record.
  for (const k of listingOptionalKeys) delete kept[k];
  const attributes = { ...kept, ...listingAttributes(cx, v, model, observedAtFrom) };
  return versionRecord(v, observedAt, attributes, previous.run);
}

function versionRecord(
  v: RegistryModelVersion,
  observedAt: number,
  attributes: Record<string, JsonValue>,
  run: JsonValue,
): Emitted {
  return {
    externalId: `models/${v.model}/versions/${v.version}`,
    kind: 'model-version',
    observedAt,
    mediaType: 'application/json',
    attributes,
    endpoint: v.endpoint,
    body: canonicalJson({ attributes, modelVersion: v.raw, run }),
  };
}

const listingOptionalKeys = [
  'status',
  'description',
  'source',
  'runId',
  'createdBy',
  'createdAt',
  'updatedAt',
  'owner',
  'intendedUse',
  'riskClass',
  'approvedBy',
  'approvedAt',
];

/** What the registry's listing of the version says (stage, aliases, tags and what they name). */
function listingAttributes(
  cx: RegistryContext,
  v: RegistryModelVersion,
  model: RegistryModel,
  observedAtFrom: string,
): Record<string, JsonValue> {
  const t = cx.opts.tags;
  return {
    ...common(cx, v),
    production: isProduction(cx.opts.production, v),
    stage: v.stage,
    aliases: v.aliases,
    productionBy: productionBy(cx, v),
    tags: v.tags,
    observedAtFrom,
    ...optional({
      status: v.status,
      description: v.description,
      source: v.source,
      runId: v.runId,
      createdBy: v.createdBy,
      createdAt: isoOrUndefined(v.createdAt),
      updatedAt: isoOrUndefined(v.updatedAt),
      owner: tagValue(t.owner, v.tags, model.tags),
      intendedUse: tagValue(t.intendedUse, v.tags, model.tags),
      riskClass: tagValue(t.riskClass, v.tags, model.tags),
      approvedBy: tagValue(t.approvedBy, v.tags),
      approvedAt: tagValue(t.approvedAt, v.tags),
    }),
  };
}

/** The production designations a version holds: `stage:<name>`, `alias:<name>`. */
export function productionBy(cx: RegistryContext, v: RegistryModelVersion): string[] {
  return [
    ...(cx.opts.production.stages.includes(v.stage) ? [`stage:${v.stage}`] : []),
    ...v.aliases.filter((a) => cx.opts.production.aliases.includes(a)).map((a) => `alias:${a}`),
  ];
}

/** What the version's run and cards say, and the gaps they leave. */
function detailAttributes(
  cx: RegistryContext,
  details: VersionDetails,
): { attributes: Record<string, JsonValue>; gaps: string[] } {
  const { run, cards } = details;
  const metricsOf = (names: string[]) => {
    const found: Record<string, JsonValue> = {};
    const missing: string[] = [];
    for (const n of names) {
      const m = run?.metrics[n];
      if (m !== undefined && Number.isFinite(m.value)) found[n] = m.value;
      else missing.push(n);
    }
    return { found, missing, complete: names.length > 0 && missing.length === 0 };
  };
  const validation = metricsOf(cx.opts.metrics.validation);
  const fairness = metricsOf(cx.opts.metrics.fairness);
  const datasets = run?.datasets ?? [];
  const datasetsWithoutDigest = datasets.filter((d) => !d.digest).length;
  // A deleted run is no lineage: its datasets cannot be shown to an auditor from the registry any more.
  const runAvailable = run !== undefined && run.deleted !== true;
  const gaps = [
    ...(cards.length === 0 ? ['model-card'] : []),
    ...(validation.complete ? [] : ['validation-metrics']),
    ...(cx.opts.metrics.fairness.length > 0 && !fairness.complete ? ['fairness-metrics'] : []),
    ...(!runAvailable || datasets.length === 0 || datasetsWithoutDigest > 0 ? ['dataset-digests'] : []),
    ...(runAvailable ? [] : ['run']),
  ];
  const attributes: Record<string, JsonValue> = {
    runAvailable,
    runDeleted: run?.deleted === true,
    params: run?.params ?? {},
    metrics: Object.fromEntries(
      Object.entries(run?.metrics ?? {}).map(([k, m]) => [k, Number.isFinite(m.value) ? m.value : String(m.value)]),
    ),
    validationMetrics: validation.found,
    missingValidationMetrics: validation.missing,
    hasValidationMetrics: validation.complete,
    fairnessMetrics: fairness.found,
    missingFairnessMetrics: fairness.missing,
    hasFairnessMetrics: fairness.complete,
    datasetCount: datasets.length,
    datasetsWithoutDigest,
    datasetDigests: datasets.map((d) => d.digest ?? null),
    datasetDigestKind: datasetDigestKind(datasets),
    modelCards: cards.map((c) => (c.root === 'run' ? c.path : `${c.root}:${c.path}`)),
    hasModelCard: cards.length > 0,
    ...optional({
      runName: run?.name,
      runStatus: run?.status,
      runUser: run?.user,
      runStartedAt: isoOrUndefined(run?.startedAt),
      runEndedAt: isoOrUndefined(run?.endedAt),
      experimentId: run?.experimentId,
    }),
  };
  return { attributes, gaps };
}

/** The collection step for an artifact: its metadata with provenance, its bytes, and its resume cursor. */
export function toStep(cx: RegistryContext, cursor: Cursor, e: Emitted): CollectionStep {
  cx.counters.artifacts++;
  const body = e.body;
  const meta: ArtifactMeta = {
    externalId: e.externalId,
    kind: e.kind,
    observedAt: new Date(e.observedAt).toISOString(),
    mediaType: e.mediaType,
    attributes: e.attributes,
    provenance: {
      endpoint: e.endpoint,
      apiVersion: `${cx.client.registry}-rest-${cx.client.apiVersion}`,
      collector: cx.opts.collector,
      ...(e.etag ? { etag: e.etag } : {}),
    },
  };
  return {
    cursor: JSON.stringify(cursor),
    artifact: { meta, open: () => Readable.from([typeof body === 'string' ? Buffer.from(body, 'utf8') : body]) },
  };
}

export function optional(fields: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

export function isoOrUndefined(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
