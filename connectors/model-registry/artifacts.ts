import { Readable } from 'node:stream';
import { canonicalJson } from '../../core/digest';
import type { JsonValue } from '../../core/json';
import type { ArtifactMeta, CollectionStep } from '../types';
import { isProduction, type Emitted, type RegistryContext } from './context';
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
  const { run, cards } = details;
  const t = cx.opts.tags;
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
  const gaps = [
    ...(cards.length === 0 ? ['model-card'] : []),
    ...(validation.complete ? [] : ['validation-metrics']),
    ...(cx.opts.metrics.fairness.length > 0 && !fairness.complete ? ['fairness-metrics'] : []),
    ...(datasets.length === 0 || datasetsWithoutDigest > 0 ? ['dataset-digests'] : []),
    ...(run ? [] : ['run']),
  ];
  const attributes: Record<string, JsonValue> = {
    ...common(cx, v),
    production: isProduction(cx.opts.production, v),
    stage: v.stage,
    aliases: v.aliases,
    productionBy: [
      ...(cx.opts.production.stages.includes(v.stage) ? [`stage:${v.stage}`] : []),
      ...v.aliases.filter((a) => cx.opts.production.aliases.includes(a)).map((a) => `alias:${a}`),
    ],
    tags: v.tags,
    runAvailable: run !== undefined,
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
    modelCards: cards.map((c) => (c.root === 'run' ? c.path : `${c.root}:${c.path}`)),
    hasModelCard: cards.length > 0,
    gaps,
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
      runName: run?.name,
      runStatus: run?.status,
      runUser: run?.user,
      runStartedAt: isoOrUndefined(run?.startedAt),
      runEndedAt: isoOrUndefined(run?.endedAt),
      experimentId: run?.experimentId,
    }),
  };
  return {
    gaps,
    artifact: {
      externalId: `models/${v.model}/versions/${v.version}`,
      kind: 'model-version',
      observedAt,
      mediaType: 'application/json',
      attributes,
      endpoint: v.endpoint,
      body: canonicalJson({ attributes, modelVersion: v.raw, run: run?.raw ?? null }),
    },
  };
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
