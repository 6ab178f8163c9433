import picomatch from 'picomatch';
import { fingerprint } from '../../core/digest';
import { SourceConfigError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { codeUnitOrder } from '../../core/order';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import { registeredModelArtifact, toStep } from './artifacts';
import { emptyCounters, isProduction, type ModelRegistryConnectorOptions, type RegistryContext } from './context';
import {
  compareCursors,
  compareVersions,
  parseCursor,
  stateSchema,
  type Cursor,
  type ModelState,
  type RegistryState,
} from './state';
import type { ModelRegistryClient, RegistryModel, RegistryModelVersion } from './types';
import { deletedVersionSteps, versionSteps, type ModelPass } from './version-steps';

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
 * - `stage-transition`   each stage or alias the version entered since the last run (once: the entry record
 *                        is never re-emitted), or lost since (left: by a stage or alias change, archive or
 *                        deletion of the version or its model)
 * - `approval`           approval tags that appeared on a version already in production (after deployment)
 * - `production-state`   every run, per version in production now, dated at collection, with its gaps
 *
 * Incremental: a version whose listing (last_updated, stage, aliases, tags, description, source) is
 * unchanged since the last sealed run is skipped, not re-emitted (but for its production-state); evidence
 * from earlier bundles stays in the index. A version whose tags or aliases alone changed is re-recorded
 * from its previous record in the store, without reading its run or cards again. Production versions that had a gap (no card, missing metrics, unhashed data) are rechecked every
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
    const { signal } = options;
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

    const resolved = await this.resolveModels(options);
    for (const { model, gone: modelGone } of this.withDeletedModels(resolved, prev)) {
      signal?.throwIfAborted();
      const versions: RegistryModelVersion[] = [];
      if (modelGone) {
        // A model matched by a glob last run and no longer registered: its versions left with it.
        const ghost = {
          cx: this.cx,
          model,
          prevModel: prev!.models[model.name],
          prevAt: prev?.at,
          forceAll,
          resume,
          now,
          options,
        };
        for (const [version, prevV] of Object.entries(ghost.prevModel!.versions).sort(([a], [b]) =>
          compareVersions(a, b),
        )) {
          this.cx.counters.versionsGone++;
          yield* deletedVersionSteps(ghost, version, prevV);
        }
        continue;
      }
      this.cx.counters.modelsSeen++;
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

      const pass: ModelPass = {
        cx: this.cx,
        model,
        prevModel,
        prevAt: prev?.at,
        forceAll,
        resume,
        now,
        options,
      };
      // Versions gone since the last run (deleted, or their model deleted) take their place in version
      // order, so resume cursors keep growing.
      const listed = new Set(versions.map((v) => v.version));
      const gone = Object.keys(prevModel?.versions ?? {}).filter((ver) => !listed.has(ver));
      const order = [
        ...versions.map((v) => ({ version: v.version, v })),
        ...gone.map((version) => ({ version, v: undefined })),
      ].sort((a, b) => compareVersions(a.version, b.version));
      for (const { version, v } of order) {
        signal?.throwIfAborted();
        if (v === undefined) {
          this.cx.counters.versionsGone++;
          yield* deletedVersionSteps(pass, version, prevModel!.versions[version]!);
          continue;
        }
        modelState.versions[v.version] = yield* versionSteps(pass, v);
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

  /**
   * The resolved models, and in name order among them the models of the previous run that a configured
   * glob still names but the registry no longer lists (deleted). A model the configuration stopped naming
   * is not "deleted": it is simply no longer collected.
   */
  private withDeletedModels(
    resolved: RegistryModel[],
    prev: RegistryState | undefined,
  ): { model: RegistryModel; gone: boolean }[] {
    const names = new Set(resolved.map((m) => m.name));
    const globs = this.opts.models
      .filter((m) => picomatch.scan(m).isGlob)
      .map((m) => picomatch(m, { dot: true, bash: true }));
    const gone = Object.keys(prev?.models ?? {})
      .filter((name) => !names.has(name) && globs.some((g) => g(name)))
      .map((name) => ({
        model: { name, tags: {}, aliases: {}, raw: null, endpoint: this.client.location } satisfies RegistryModel,
        gone: true,
      }));
    return [...resolved.map((model) => ({ model, gone: false })), ...gone].sort((a, b) =>
      codeUnitOrder(a.model.name, b.model.name),
    );
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
