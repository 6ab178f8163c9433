import picomatch from 'picomatch';
import { fingerprint } from '../../core/digest';
import { SourceConfigError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { codeUnitOrder } from '../../core/order';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import { modelVersionArtifact, registeredModelArtifact, toStep } from './artifacts';
import {
  emptyCounters,
  isProduction,
  type Emitted,
  type ModelRegistryConnectorOptions,
  type RegistryContext,
} from './context';
import { lineageArtifact } from './lineage';
import { cardArtifact, versionDetails } from './model-cards';
import {
  compareCursors,
  compareVersions,
  parseCursor,
  stateSchema,
  versionFingerprint,
  type Cursor,
  type ModelState,
  type RegistryState,
  type VersionState,
} from './state';
import { carriedState, currentDesignations, transitionArtifacts } from './timeline';
import type { ModelRegistryClient, RegistryModel, RegistryModelVersion } from './types';

// The constructor's options type, importable beside the class it configures.
export type { ModelRegistryConnectorOptions } from './context';

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
  /** Shared with the artifact builders: client, options, card matcher, counters. */
  private readonly cx: RegistryContext;
  private readonly now: () => Date;
  private readonly configFp: string;
  private nextState: RegistryState | undefined;

  constructor(
    private readonly client: ModelRegistryClient,
    private readonly opts: ModelRegistryConnectorOptions,
  ) {
    this.type = opts.type;
    this.cx = {
      client,
      opts,
      isCard: picomatch(opts.modelCards.files, { dot: true, basename: true }),
      counters: emptyCounters(),
    };
    this.now = opts.now ?? (() => new Date());
    this.configFp = fingerprint(
      {
        p: opts.production,
        m: opts.metrics,
        c: opts.modelCards,
        t: opts.tags,
        collector: opts.collector,
      },
      32,
    );
  }

  /** Read after `collect` finished; null before (the activity reads it only after a complete collection). */
  state(): JsonValue {
    return (this.nextState ?? null) as JsonValue;
  }

  stats(): ConnectorStats {
    return { ...this.cx.counters, ...this.client.stats() };
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    const { signal, log } = options;
    const now = this.now().getTime();
    this.cx.counters = emptyCounters();
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
      this.cx.counters.modelsSeen++;
      const versions: RegistryModelVersion[] = [];
      for await (const v of this.client.listVersions(model, signal)) versions.push(v);
      versions.sort((a, b) => compareVersions(a.version, b.version));
      this.cx.counters.versionsSeen += versions.length;
      const prevModel = prev?.models[model.name];
      const productionVersions = versions
        .filter((v) => isProduction(this.opts.production, v))
        .map((v) => `${model.name}/${v.version}`);
      const modelFp = fingerprint(
        {
          d: model.description ?? null,
          t: model.tags,
          a: model.aliases,
          u: model.updatedAt ?? null,
          p: productionVersions,
        },
        32,
      );
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
          yield toStep(
            this.cx,
            cursor,
            registeredModelArtifact(this.cx, model, versions.length, productionVersions, observedAt),
          );
        }
      }

      for (const v of versions) {
        signal?.throwIfAborted();
        const prevV = prevModel?.versions[v.version];
        const fp = versionFingerprint(v);
        const production = isProduction(this.opts.production, v);
        const sameListing = !forceAll && prevV !== undefined && prevV.fp === fp;
        if (sameListing && !prevV.recheck) {
          modelState.versions[v.version] = prevV;
          this.cx.counters.versionsUnchanged++;
          continue;
        }
        if (resume !== undefined && compareCursors([model.name, v.version, Number.MAX_SAFE_INTEGER], resume) <= 0) {
          // Done by the interrupted attempt. Its gaps are unknown here, so a production version is rechecked next run.
          modelState.versions[v.version] = sameListing ? prevV : carriedState(v, fp, prevV, now, production);
          this.cx.counters.versionsSkippedOnResume++;
          continue;
        }
        const details = await versionDetails(this.cx, v, signal);
        if (sameListing && prevV.recheck && prevV.content === details.content) {
          modelState.versions[v.version] = prevV;
          this.cx.counters.versionsRechecked++;
          continue;
        }
        this.cx.counters.versionsCollected++;
        const listingTimed = !prevV || prevV.updatedAt !== v.updatedAt;
        const observedAt = listingTimed && v.updatedAt !== undefined ? v.updatedAt : now;
        const observedAtFrom = listingTimed && v.updatedAt !== undefined ? 'last_updated_timestamp' : 'collection';
        const designations = currentDesignations(v, prevV, listingTimed, now);
        const state: VersionState = {
          fp,
          stage: v.stage,
          aliases: v.aliases,
          ...(v.updatedAt !== undefined ? { updatedAt: v.updatedAt } : {}),
          designations,
          content: details.content,
        };
        let seq = 0;
        const versionMeta = modelVersionArtifact(this.cx, v, model, details, observedAt, observedAtFrom);
        if (production && versionMeta.gaps.length > 0) state.recheck = true;
        const emit = (meta: Emitted) => {
          const cursor: Cursor = [model.name, v.version, seq++];
          return after(cursor) ? toStep(this.cx, cursor, meta) : undefined;
        };
        const steps: (CollectionStep | undefined)[] = [emit(versionMeta.artifact)];
        if (details.run) steps.push(emit(lineageArtifact(this.cx, v, details.run, observedAt)));
        for (const s of steps) if (s) yield s;
        for (const card of details.cards) {
          const cursor: Cursor = [model.name, v.version, seq++];
          if (!after(cursor)) continue;
          const meta = await cardArtifact(this.cx, v, card, details.run, observedAt, log, signal);
          if (meta) yield toStep(this.cx, cursor, meta);
        }
        for (const t of transitionArtifacts(this.cx, v, designations, prevV, prev?.at, now)) {
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
    return [...byName.values()].sort((a, b) => codeUnitOrder(a.name, b.name));
  }
}
