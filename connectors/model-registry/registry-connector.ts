import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import picomatch from 'picomatch';
import { z } from 'zod';
import { canonicalJson } from '../../core/digest';
import { SourceConfigError } from '../../core/errors';
import type { ArtifactMeta, CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import type { JsonValue } from '../../core/json';
import type {
  ModelRegistryClient,
  RegistryArtifactFile,
  RegistryModel,
  RegistryModelVersion,
  RegistryRun,
} from './types';

/** Artifact kinds every model-registry connector yields; mapping rules select on these. */
export const modelRegistryKinds = [
  'registered-model',
  'model-version',
  'model-card',
  'dataset-lineage',
  'stage-transition',
] as const;
export type ModelRegistryKind = (typeof modelRegistryKinds)[number];

export interface ModelRegistryConnectorOptions {
  /** Source type as written in config (`mlflow`). */
  type: string;
  /** Config id of the source, for messages. */
  sourceId: string;
  /** `<connector>@<version>` recorded in provenance. */
  collector: string;
  /** Exact model names or globs. */
  models: string[];
  production: { stages: string[]; aliases: string[] };
  metrics: { validation: string[]; fairness: string[] };
  modelCards: { files: string[]; dirs: string[]; maxBytes: number };
  tags: { owner: string[]; intendedUse: string[]; riskClass: string[]; approvedBy: string[]; approvedAt: string[] };
  /** Clock for "observed at collection time"; tests pin it. */
  now?: () => Date;
}

/**
 * State handed from one sealed run to the next. Per version: a fingerprint of what the registry listing
 * says about it, its stage and aliases (to tell transitions), when each production designation was first
 * observed, and for production versions with gaps a hash of their run and card listing (to recheck them).
 */
const designationSchema = z.object({ since: z.number(), observed: z.boolean(), from: z.string().optional() });
const versionStateSchema = z.object({
  fp: z.string(),
  stage: z.string(),
  aliases: z.array(z.string()),
  updatedAt: z.number().optional(),
  designations: z.record(z.string(), designationSchema),
  content: z.string().optional(),
  recheck: z.boolean().optional(),
});
const modelStateSchema = z.object({
  fp: z.string(),
  updatedAt: z.number().optional(),
  versions: z.record(z.string(), versionStateSchema),
});
const stateSchema = z.object({
  format: z.literal('model-registry-state@1'),
  at: z.number(),
  /** Fingerprint of the options that shape attributes: changing them re-collects every version. */
  config: z.string(),
  models: z.record(z.string(), modelStateSchema),
});
type VersionState = z.infer<typeof versionStateSchema>;
type ModelState = z.infer<typeof modelStateSchema>;
type RegistryState = z.infer<typeof stateSchema>;
type Designation = z.infer<typeof designationSchema>;

type Cursor = [model: string, version: string, seq: number];

interface VersionDetails {
  run?: RegistryRun;
  cards: RegistryArtifactFile[];
  content: string;
}

/**
 * Model-registry evidence, normalized across registries: one connector, one ModelRegistryClient per
 * registry product. Yields, in (model name, version number) order:
 *
 * - `registered-model`   when the model's tags, aliases, description or production versions changed
 * - `model-version`      a version with stage, aliases, tags, its run's params and metrics, and gap flags
 * - `dataset-lineage`    the run's input datasets with their digests and sources
 * - `model-card`         each model card / README among the version's artifacts (content capped)
 * - `stage-transition`   each stage or alias the version holds (entered), or lost since the last run (left)
 *
 * Incremental: a version whose listing (last_updated, stage, aliases, tags, description, source) is
 * unchanged since the last sealed run is skipped, not re-emitted; evidence from earlier bundles stays in the
 * index. Production versions that had a gap (no card, missing metrics, unhashed data) are rechecked every
 * run, because logging a metric or a card to a run does not touch the version, and emitted again only when
 * their run or card listing changed.
 */
export class ModelRegistryConnector implements Connector {
  readonly type: string;
  private readonly isCard: (name: string) => boolean;
  private readonly now: () => Date;
  private readonly configFp: string;
  private nextState: RegistryState | undefined;
  private counters = emptyCounters();

  constructor(
    private readonly client: ModelRegistryClient,
    private readonly opts: ModelRegistryConnectorOptions,
  ) {
    this.type = opts.type;
    this.isCard = picomatch(opts.modelCards.files, { dot: true, basename: true });
    this.now = opts.now ?? (() => new Date());
    this.configFp = fingerprint({
      p: opts.production,
      m: opts.metrics,
      c: opts.modelCards,
      t: opts.tags,
      collector: opts.collector,
    });
  }

  /** Read after `collect` finished; null before (the activity reads it only after a complete collection). */
  state(): JsonValue {
    return (this.nextState ?? null) as JsonValue;
  }

  stats(): ConnectorStats {
    return { ...this.counters, ...this.client.stats() };
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    const { signal, log } = options;
    const now = this.now().getTime();
    this.counters = emptyCounters();
    this.nextState = undefined;
    const prev = this.previousState(options.previousState, options);
    // Attributes depend on the configuration (production aliases, metric names): when it changed, nothing
    // collected before is "unchanged", but when each designation was first observed is still known.
    const forceAll = prev !== undefined && prev.config !== this.configFp;
    if (forceAll)
      options.log.info(
        { source: this.opts.sourceId },
        'model-registry options changed since the last run; collecting every version again',
      );
    const resume = options.resumeAfter !== undefined ? parseCursor(options.resumeAfter) : undefined;
    const next: RegistryState = { format: 'model-registry-state@1', at: now, config: this.configFp, models: {} };
    const after = (c: Cursor) => resume === undefined || compareCursors(c, resume) > 0;

    for (const model of await this.resolveModels(options)) {
      signal?.throwIfAborted();
      this.counters.modelsSeen++;
      const versions: RegistryModelVersion[] = [];
      for await (const v of this.client.listVersions(model, signal)) versions.push(v);
      versions.sort((a, b) => compareVersions(a.version, b.version));
      this.counters.versionsSeen += versions.length;
      const prevModel = prev?.models[model.name];
      const productionVersions = versions.filter((v) => this.isProduction(v)).map((v) => `${model.name}/${v.version}`);
      const modelFp = fingerprint({
        d: model.description ?? null,
        t: model.tags,
        a: model.aliases,
        u: model.updatedAt ?? null,
        p: productionVersions,
      });
      const modelState: ModelState = {
        fp: modelFp,
        ...(model.updatedAt !== undefined ? { updatedAt: model.updatedAt } : {}),
        versions: {},
      };
      next.models[model.name] = modelState;
      if (forceAll || prevModel?.fp !== modelFp) {
        const cursor: Cursor = [model.name, '', 0];
        if (after(cursor)) {
          const observedAt = !prevModel || prevModel.updatedAt !== model.updatedAt ? (model.updatedAt ?? now) : now;
          yield this.step(cursor, this.registeredModelArtifact(model, versions.length, productionVersions, observedAt));
        }
      }

      for (const v of versions) {
        signal?.throwIfAborted();
        const prevV = prevModel?.versions[v.version];
        const fp = versionFingerprint(v);
        const production = this.isProduction(v);
        const sameListing = !forceAll && prevV !== undefined && prevV.fp === fp;
        if (sameListing && !prevV.recheck) {
          modelState.versions[v.version] = prevV;
          this.counters.versionsUnchanged++;
          continue;
        }
        if (resume !== undefined && compareCursors([model.name, v.version, Number.MAX_SAFE_INTEGER], resume) <= 0) {
          // Done by the interrupted attempt. Its gaps are unknown here, so a production version is rechecked next run.
          modelState.versions[v.version] = sameListing ? prevV : this.carriedState(v, fp, prevV, now, production);
          this.counters.versionsSkippedOnResume++;
          continue;
        }
        const details = await this.details(v, signal);
        if (sameListing && prevV.recheck && prevV.content === details.content) {
          modelState.versions[v.version] = prevV;
          this.counters.versionsRechecked++;
          continue;
        }
        this.counters.versionsCollected++;
        const listingTimed = !prevV || prevV.updatedAt !== v.updatedAt;
        const observedAt = listingTimed && v.updatedAt !== undefined ? v.updatedAt : now;
        const observedAtFrom = listingTimed && v.updatedAt !== undefined ? 'last_updated_timestamp' : 'collection';
        const designations = this.designations(v, prevV, listingTimed, now);
        const state: VersionState = {
          fp,
          stage: v.stage,
          aliases: v.aliases,
          ...(v.updatedAt !== undefined ? { updatedAt: v.updatedAt } : {}),
          designations,
          content: details.content,
        };
        let seq = 0;
        const versionMeta = this.modelVersionArtifact(v, model, details, observedAt, observedAtFrom);
        if (production && versionMeta.gaps.length > 0) state.recheck = true;
        const emit = (meta: Emitted) => {
          const cursor: Cursor = [model.name, v.version, seq++];
          return after(cursor) ? this.step(cursor, meta) : undefined;
        };
        const steps: (CollectionStep | undefined)[] = [emit(versionMeta.artifact)];
        if (details.run) steps.push(emit(this.lineageArtifact(v, details.run, observedAt)));
        for (const s of steps) if (s) yield s;
        for (const card of details.cards) {
          const cursor: Cursor = [model.name, v.version, seq++];
          if (!after(cursor)) continue;
          const meta = await this.cardArtifact(v, card, details.run, observedAt, log, signal);
          if (meta) yield this.step(cursor, meta);
        }
        for (const t of this.transitionArtifacts(v, designations, prevV, prev?.at, now)) {
          const s = emit(t);
          if (s) yield s;
        }
        modelState.versions[v.version] = state;
      }
    }
    this.nextState = next;
  }

  private previousState(raw: JsonValue | undefined, options: CollectOptions): RegistryState | undefined {
    if (raw === undefined || raw === null) return undefined;
    const parsed = stateSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    options.log.warn(
      { source: this.opts.sourceId },
      'previous model-registry state unreadable; collecting every version again',
    );
    return undefined;
  }

  /** Exact names must exist (a typo is a configuration error); globs may match nothing. */
  private async resolveModels(options: CollectOptions): Promise<RegistryModel[]> {
    const byName = new Map<string, RegistryModel>();
    const globs: { pattern: string; index: number; test: (s: string) => boolean; hits: number }[] = [];
    for (const [index, pattern] of this.opts.models.entries()) {
      if (picomatch.scan(pattern).isGlob) {
        globs.push({ pattern, index, test: picomatch(pattern, { dot: true, bash: true }), hits: 0 });
        continue;
      }
      const model = await this.client.getModel(pattern, options.signal);
      if (!model) {
        throw new SourceConfigError(
          `source "${this.opts.sourceId}": models[${index}] "${pattern}" is not a registered model in ${this.client.registry} at ${this.client.location} (check the name and the credentials' permissions; a glob such as "${pattern}*" may match nothing without failing)`,
        );
      }
      byName.set(model.name, model);
    }
    if (globs.length > 0) {
      for await (const model of this.client.listModels(options.signal)) {
        for (const g of globs) {
          if (!g.test(model.name)) continue;
          g.hits++;
          if (!byName.has(model.name)) byName.set(model.name, model);
        }
      }
      for (const g of globs.filter((x) => x.hits === 0)) {
        options.log.warn(
          { source: this.opts.sourceId, pattern: g.pattern },
          `models[${g.index}] matches no registered model`,
        );
      }
    }
    return [...byName.values()].sort((a, b) => byteOrder(a.name, b.name));
  }

  private isProductionDesignation(d: string): boolean {
    if (d.startsWith('stage:')) return this.opts.production.stages.includes(d.slice('stage:'.length));
    return this.opts.production.aliases.includes(d.slice('alias:'.length));
  }

  private isProduction(v: RegistryModelVersion): boolean {
    return (
      this.opts.production.stages.includes(v.stage) || v.aliases.some((a) => this.opts.production.aliases.includes(a))
    );
  }

  /** Stage and aliases the version holds, each with when it was first observed holding it. */
  private designations(
    v: RegistryModelVersion,
    prevV: VersionState | undefined,
    listingTimed: boolean,
    now: number,
  ): Record<string, Designation> {
    const out: Record<string, Designation> = {};
    const current = [
      ...(v.stage && v.stage !== 'None' ? [`stage:${v.stage}`] : []),
      ...v.aliases.map((a) => `alias:${a}`),
    ];
    for (const d of current) {
      const known = prevV?.designations[d];
      if (known) {
        out[d] = known;
        continue;
      }
      // MLflow stamps last_updated_timestamp on a stage transition; aliases carry no time at all.
      const isStage = d.startsWith('stage:');
      const since = isStage && listingTimed && v.updatedAt !== undefined ? v.updatedAt : now;
      const from = isStage && prevV && prevV.stage !== v.stage ? prevV.stage : undefined;
      out[d] = { since, observed: prevV !== undefined, ...(from !== undefined ? { from } : {}) };
    }
    return out;
  }

  private carriedState(
    v: RegistryModelVersion,
    fp: string,
    prevV: VersionState | undefined,
    now: number,
    production: boolean,
  ): VersionState {
    return {
      fp,
      stage: v.stage,
      aliases: v.aliases,
      ...(v.updatedAt !== undefined ? { updatedAt: v.updatedAt } : {}),
      designations: this.designations(v, prevV, !prevV || prevV.updatedAt !== v.updatedAt, now),
      ...(production ? { recheck: true } : {}),
    };
  }

  private async details(v: RegistryModelVersion, signal: AbortSignal | undefined): Promise<VersionDetails> {
    let run: RegistryRun | undefined;
    if (v.runId) {
      run = await this.client.getRun(v.runId, signal);
      if (!run) this.counters.runsMissing++;
    }
    const cards = new Map<string, RegistryArtifactFile>();
    const locations = this.client.documentationLocations(v);
    const extra = this.opts.modelCards.dirs.map((d) => d.replace(/^\/+|\/+$/g, ''));
    const roots = [...new Set(locations.map((l) => l.root))];
    const seen = new Set<string>();
    for (const loc of [...locations, ...roots.flatMap((root) => extra.map((dir) => ({ root, dir })))]) {
      const key = `${loc.root}\u0000${loc.dir}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const f of await this.client.listArtifacts(v, loc, signal)) {
        if (!f.isDir && this.isCard(path.posix.basename(f.path))) cards.set(`${f.root}\u0000${f.path}`, f);
      }
    }
    const cardList = [...cards.values()].sort((a, b) => byteOrder(a.root, b.root) || byteOrder(a.path, b.path));
    const content = fingerprint({
      run: run
        ? { s: run.status ?? null, e: run.endedAt ?? null, m: run.metrics, p: run.params, d: run.datasets }
        : null,
      cards: cardList.map((c) => [c.root, c.path, c.size ?? null]),
    });
    return { ...(run ? { run } : {}), cards: cardList, content };
  }

  private tagValue(keys: string[], ...tagSets: Record<string, string>[]): string | undefined {
    for (const tags of tagSets) {
      for (const k of keys) {
        const v = tags[k];
        if (v !== undefined && v !== '') return v;
      }
    }
    return undefined;
  }

  private common(v: RegistryModelVersion): Record<string, JsonValue> {
    return {
      registry: this.client.registry,
      model: v.model,
      version: v.version,
      modelVersion: `${v.model}/${v.version}`,
    };
  }

  private registeredModelArtifact(
    model: RegistryModel,
    versionCount: number,
    productionVersions: string[],
    observedAt: number,
  ): Emitted {
    const t = this.opts.tags;
    const owner = this.tagValue(t.owner, model.tags);
    const attributes: Record<string, JsonValue> = {
      registry: this.client.registry,
      model: model.name,
      tags: model.tags,
      aliases: model.aliases,
      versionCount,
      productionVersions,
      hasOwner: owner !== undefined,
      ...optional({
        description: model.description,
        owner,
        intendedUse: this.tagValue(t.intendedUse, model.tags),
        riskClass: this.tagValue(t.riskClass, model.tags),
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

  private modelVersionArtifact(
    v: RegistryModelVersion,
    model: RegistryModel,
    details: VersionDetails,
    observedAt: number,
    observedAtFrom: string,
  ): { artifact: Emitted; gaps: string[] } {
    const { run, cards } = details;
    const t = this.opts.tags;
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
    const validation = metricsOf(this.opts.metrics.validation);
    const fairness = metricsOf(this.opts.metrics.fairness);
    const datasets = run?.datasets ?? [];
    const datasetsWithoutDigest = datasets.filter((d) => !d.digest).length;
    const gaps = [
      ...(cards.length === 0 ? ['model-card'] : []),
      ...(validation.complete ? [] : ['validation-metrics']),
      ...(this.opts.metrics.fairness.length > 0 && !fairness.complete ? ['fairness-metrics'] : []),
      ...(datasets.length === 0 || datasetsWithoutDigest > 0 ? ['dataset-digests'] : []),
      ...(run ? [] : ['run']),
    ];
    const attributes: Record<string, JsonValue> = {
      ...this.common(v),
      production: this.isProduction(v),
      stage: v.stage,
      aliases: v.aliases,
      productionBy: [
        ...(this.opts.production.stages.includes(v.stage) ? [`stage:${v.stage}`] : []),
        ...v.aliases.filter((a) => this.opts.production.aliases.includes(a)).map((a) => `alias:${a}`),
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
        owner: this.tagValue(t.owner, v.tags, model.tags),
        intendedUse: this.tagValue(t.intendedUse, v.tags, model.tags),
        riskClass: this.tagValue(t.riskClass, v.tags, model.tags),
        approvedBy: this.tagValue(t.approvedBy, v.tags),
        approvedAt: this.tagValue(t.approvedAt, v.tags),
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

  private lineageArtifact(v: RegistryModelVersion, run: RegistryRun, versionObservedAt: number): Emitted {
    const datasets = run.datasets.map((d) => ({
      name: d.name,
      digest: d.digest ?? null,
      sourceType: d.sourceType ?? null,
      source: d.source ?? null,
      context: d.context ?? null,
    }));
    const attributes: Record<string, JsonValue> = {
      ...this.common(v),
      runId: run.id,
      datasets,
      datasetCount: datasets.length,
      digests: datasets.map((d) => d.digest).filter((d): d is string => d !== null),
      sources: datasets.map((d) => d.source).filter((d): d is string => d !== null),
      contexts: [...new Set(datasets.map((d) => d.context).filter((d): d is string => d !== null))].sort(),
      allDatasetsHashed: datasets.length > 0 && datasets.every((d) => d.digest !== null && d.digest !== ''),
    };
    return {
      externalId: `models/${v.model}/versions/${v.version}/lineage`,
      kind: 'dataset-lineage',
      observedAt: run.endedAt ?? run.startedAt ?? versionObservedAt,
      mediaType: 'application/json',
      attributes,
      endpoint: run.endpoint,
      body: canonicalJson({ attributes, datasets: run.datasets as unknown as JsonValue }),
    };
  }

  private async cardArtifact(
    v: RegistryModelVersion,
    card: RegistryArtifactFile,
    run: RegistryRun | undefined,
    versionObservedAt: number,
    log: CollectOptions['log'],
    signal: AbortSignal | undefined,
  ): Promise<Emitted | undefined> {
    const max = this.opts.modelCards.maxBytes;
    const base = {
      ...this.common(v),
      artifactRoot: card.root,
      path: card.path,
      fileName: path.posix.basename(card.path),
      ...(v.runId ? { runId: v.runId } : {}),
    };
    const tooLarge = (size: number | undefined, endpoint: string): Emitted => {
      this.counters.cardsTooLarge++;
      log.warn(
        { source: this.opts.sourceId, modelVersion: `${v.model}/${v.version}`, path: card.path, size, maxBytes: max },
        'model card larger than modelCards.maxBytes; recorded without its content',
      );
      return {
        externalId: `models/${v.model}/versions/${v.version}/cards/${card.root}/${card.path}`,
        kind: 'model-card',
        observedAt: run?.endedAt ?? versionObservedAt,
        mediaType: 'application/json',
        attributes: {
          ...base,
          ...(size !== undefined ? { size } : {}),
          contentStored: false,
          reason: `larger than modelCards.maxBytes (${max} bytes)`,
        },
        endpoint,
        body: canonicalJson({
          root: card.root,
          path: card.path,
          size: size ?? null,
          contentStored: false,
          maxBytes: max,
          location: endpoint,
        }),
      };
    };
    if (card.size !== undefined && card.size > max) return tooLarge(card.size, this.client.location);
    const res = await this.client.downloadArtifact(v, card, max, signal);
    if (res.kind === 'too-large') return tooLarge(res.size, res.endpoint);
    if (res.kind === 'not-found') {
      log.warn(
        { source: this.opts.sourceId, modelVersion: `${v.model}/${v.version}`, path: card.path },
        'model card listed but gone when downloaded',
      );
      return undefined;
    }
    this.counters.cardsDownloaded++;
    return {
      externalId: `models/${v.model}/versions/${v.version}/cards/${card.root}/${card.path}`,
      kind: 'model-card',
      observedAt: res.lastModified ?? run?.endedAt ?? versionObservedAt,
      mediaType: mediaTypeOf(card.path),
      attributes: {
        ...base,
        size: res.bytes.length,
        contentStored: true,
        observedAtFrom: res.lastModified !== undefined ? 'last-modified' : 'run',
      },
      endpoint: res.endpoint,
      ...(res.etag ? { etag: res.etag } : {}),
      body: res.bytes,
    };
  }

  private transitionArtifacts(
    v: RegistryModelVersion,
    designations: Record<string, Designation>,
    prevV: VersionState | undefined,
    prevAt: number | undefined,
    now: number,
  ): Emitted[] {
    const t = this.opts.tags;
    const approval = optional({
      approvedBy: this.tagValue(t.approvedBy, v.tags),
      approvedAt: this.tagValue(t.approvedAt, v.tags),
    });
    const out: Emitted[] = [];
    const record = (
      designation: string,
      event: 'entered' | 'left',
      since: number,
      observed: boolean,
      from: string | undefined,
    ): Emitted => {
      const production = this.isProductionDesignation(designation);
      const [what, name] = splitDesignation(designation);
      const attributes: Record<string, JsonValue> = {
        ...this.common(v),
        production: this.isProduction(v),
        designation,
        event,
        [what]: name,
        productionDesignation: production,
        toProduction: event === 'entered' && production,
        basis: observed ? 'observed-change' : 'first-observation',
        ...(observed && prevAt !== undefined ? { changedAfter: new Date(prevAt).toISOString() } : {}),
        ...(from !== undefined ? { fromStage: from } : {}),
        ...approval,
      };
      return {
        externalId: `models/${v.model}/versions/${v.version}/transitions/${designation}/${event}@${new Date(since).toISOString()}`,
        kind: 'stage-transition',
        observedAt: since,
        mediaType: 'application/json',
        attributes,
        endpoint: v.endpoint,
        body: canonicalJson({
          transition: attributes,
          versionNow: { stage: v.stage, aliases: v.aliases, tags: v.tags },
        }),
      };
    };
    for (const [d, info] of Object.entries(designations).sort(([a], [b]) => byteOrder(a, b))) {
      out.push(record(d, 'entered', info.since, info.observed, info.from));
    }
    for (const d of Object.keys(prevV?.designations ?? {}).sort(byteOrder)) {
      if (designations[d]) continue;
      // A stage left is stamped by MLflow's last_updated_timestamp; an alias removed only by our observation.
      const stampedByRegistry = d.startsWith('stage:') && prevV?.updatedAt !== v.updatedAt && v.updatedAt !== undefined;
      out.push(record(d, 'left', stampedByRegistry ? v.updatedAt! : now, true, undefined));
    }
    return out;
  }

  private step(cursor: Cursor, e: Emitted): CollectionStep {
    this.counters.artifacts++;
    const body = e.body;
    const meta: ArtifactMeta = {
      externalId: e.externalId,
      kind: e.kind,
      observedAt: new Date(e.observedAt).toISOString(),
      mediaType: e.mediaType,
      attributes: e.attributes,
      provenance: {
        endpoint: e.endpoint,
        apiVersion: `${this.client.registry}-rest-${this.client.apiVersion}`,
        collector: this.opts.collector,
        ...(e.etag ? { etag: e.etag } : {}),
      },
    };
    return {
      cursor: JSON.stringify(cursor),
      artifact: { meta, open: () => Readable.from([typeof body === 'string' ? Buffer.from(body, 'utf8') : body]) },
    };
  }
}

interface Emitted {
  externalId: string;
  kind: ModelRegistryKind;
  observedAt: number;
  mediaType: string;
  attributes: Record<string, JsonValue>;
  endpoint: string;
  etag?: string;
  body: string | Buffer;
}

function emptyCounters() {
  return {
    modelsSeen: 0,
    versionsSeen: 0,
    versionsCollected: 0,
    versionsUnchanged: 0,
    versionsRechecked: 0,
    versionsSkippedOnResume: 0,
    runsMissing: 0,
    cardsDownloaded: 0,
    cardsTooLarge: 0,
    artifacts: 0,
  };
}

function versionFingerprint(v: RegistryModelVersion): string {
  return fingerprint({
    u: v.updatedAt ?? null,
    s: v.stage,
    st: v.status ?? null,
    a: v.aliases,
    t: v.tags,
    d: v.description ?? null,
    src: v.source ?? null,
    r: v.runId ?? null,
  });
}

function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

function optional(fields: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

function isoOrUndefined(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function splitDesignation(d: string): ['stage' | 'alias', string] {
  const i = d.indexOf(':');
  return [d.slice(0, i) === 'stage' ? 'stage' : 'alias', d.slice(i + 1)];
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Numeric versions numerically, anything else in byte order; '' (the model itself) first. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const na = /^\d+$/.test(a) ? Number(a) : NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return byteOrder(a, b);
}

function compareCursors(a: Cursor, b: Cursor): number {
  return byteOrder(a[0], b[0]) || compareVersions(a[1], b[1]) || a[2] - b[2];
}

function parseCursor(text: string): Cursor {
  try {
    const v: unknown = JSON.parse(text);
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      typeof v[2] === 'number'
    )
      return [v[0], v[1], v[2]];
  } catch {
    // fall through
  }
  throw new Error(`model-registry: unreadable resume cursor ${JSON.stringify(text)}`);
}

const mediaTypes: Record<string, string> = {
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.txt': 'text/plain',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.pdf': 'application/pdf',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
};

function mediaTypeOf(p: string): string {
  return mediaTypes[path.posix.extname(p).toLowerCase()] ?? 'application/octet-stream';
}
