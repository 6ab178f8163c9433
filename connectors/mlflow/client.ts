import { z } from 'zod';
import { SourceResponseError } from '../../core/errors';
import type { ConnectorStats } from '../types';
import type { JsonValue } from '../../core/json';
import type {
  ArtifactLocation,
  DownloadResult,
  ModelRegistryClient,
  RegistryArtifactFile,
  RegistryDataset,
  RegistryModel,
  RegistryModelVersion,
  RegistryRun,
} from '../model-registry/types';
import type { MlflowHttp } from './http';

/**
 * MLflow's REST API (2.0 paths, served by MLflow 2.x and 3.x tracking servers) behind the
 * ModelRegistryClient interface. Only documented, read-only endpoints are used:
 *
 *   registered-models/get, registered-models/search      models, tags, aliases
 *   model-versions/search                                versions, stage, tags (no aliases: taken from the model)
 *   runs/get                                             params, metrics, tags, input datasets
 *   artifacts/list, /get-artifact                        model cards among the run's artifacts
 */
const api = 'api/2.0/mlflow';

/** int64 fields: numbers from MLflow's own server, strings from some proto-JSON encoders. */
const int64 = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
/** Epoch milliseconds a Date can hold (±8.64e15): a larger value would crash later as "Invalid time value". */
const epochMs = int64.pipe(z.number().int().min(-8.64e15).max(8.64e15));
const tagList = z.array(z.looseObject({ key: z.string(), value: z.string().optional() })).optional();

const registeredModelSchema = z.looseObject({
  name: z.string().min(1),
  creation_timestamp: epochMs.optional(),
  last_updated_timestamp: epochMs.optional(),
  description: z.string().optional(),
  tags: tagList,
  aliases: z.array(z.looseObject({ alias: z.string(), version: z.string() })).optional(),
});
type RawRegisteredModel = z.infer<typeof registeredModelSchema>;

const modelVersionSchema = z.looseObject({
  name: z.string().min(1),
  version: z.union([z.string().min(1), z.number().transform(String)]),
  creation_timestamp: epochMs.optional(),
  last_updated_timestamp: epochMs.optional(),
  current_stage: z.string().optional(),
  description: z.string().optional(),
  user_id: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  tags: tagList,
  aliases: z.array(z.string()).optional(),
});
type RawModelVersion = z.infer<typeof modelVersionSchema>;

const metricValue = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity']).transform(Number)]);
const runSchema = z.looseObject({
  info: z.looseObject({
    run_id: z.string().optional(),
    run_uuid: z.string().optional(),
    experiment_id: z.string().optional(),
    run_name: z.string().optional(),
    user_id: z.string().optional(),
    status: z.string().optional(),
    lifecycle_stage: z.string().optional(),
    start_time: int64.optional(),
    end_time: int64.optional(),
    artifact_uri: z.string().optional(),
  }),
  data: z
    .looseObject({
      metrics: z
        .array(
          z.looseObject({ key: z.string(), value: metricValue, timestamp: int64.optional(), step: int64.optional() }),
        )
        .optional(),
      params: z.array(z.looseObject({ key: z.string(), value: z.string().optional() })).optional(),
      tags: tagList,
    })
    .optional(),
  inputs: z
    .looseObject({
      dataset_inputs: z
        .array(
          z.looseObject({
            tags: tagList,
            dataset: z.looseObject({
              name: z.string(),
              digest: z.string().optional(),
              source_type: z.string().optional(),
              source: z.string().optional(),
              schema: z.string().optional(),
              profile: z.string().optional(),
            }),
          }),
        )
        .optional(),
    })
    .optional(),
});

const getModelResponse = z.looseObject({ registered_model: registeredModelSchema });
const searchModelsResponse = z.looseObject({
  registered_models: z.array(registeredModelSchema).optional(),
  next_page_token: z.string().optional(),
});
const searchVersionsResponse = z.looseObject({
  model_versions: z.array(modelVersionSchema).optional(),
  next_page_token: z.string().optional(),
});
const getRunResponse = z.looseObject({ run: runSchema });
const listArtifactsResponse = z.looseObject({
  root_uri: z.string().optional(),
  files: z
    .array(z.looseObject({ path: z.string(), is_dir: z.boolean().optional(), file_size: int64.optional() }))
    .optional(),
  next_page_token: z.string().optional(),
});

export interface MlflowClientOptions {
  pageSize: number;
}

export class MlflowRegistryClient implements ModelRegistryClient {
  readonly registry = 'mlflow';
  readonly apiVersion = '2.0';
  readonly location: string;

  constructor(
    private readonly http: MlflowHttp,
    private readonly opts: MlflowClientOptions,
  ) {
    this.location = http.base.href;
  }

  async getModel(name: string, signal?: AbortSignal): Promise<RegistryModel | undefined> {
    const path = `${api}/registered-models/get`;
    const res = await this.http.getJson(path, { name }, getModelResponse, {
      allowNotFound: true,
      ...(signal ? { signal } : {}),
    });
    return res ? this.model(res.registered_model, this.http.url(path, { name }).href) : undefined;
  }

  async *listModels(signal?: AbortSignal): AsyncIterable<RegistryModel> {
    const path = `${api}/registered-models/search`;
    let pageToken: string | undefined;
    do {
      const query = { max_results: this.opts.pageSize, page_token: pageToken };
      const res = (await this.http.getJson(path, query, searchModelsResponse, signal ? { signal } : {}))!;
      const endpoint = this.http.url(path, query).href;
      for (const m of res.registered_models ?? []) yield this.model(m, endpoint);
      pageToken = nextToken(pageToken, res.next_page_token, endpoint);
    } while (pageToken);
  }

  async *listVersions(model: RegistryModel, signal?: AbortSignal): AsyncIterable<RegistryModelVersion> {
    const path = `${api}/model-versions/search`;
    const aliasesOf = new Map<string, string[]>();
    for (const [alias, version] of Object.entries(model.aliases))
      aliasesOf.set(version, [...(aliasesOf.get(version) ?? []), alias].sort());
    let pageToken: string | undefined;
    do {
      const query = {
        filter: `name=${quoteFilterValue(model.name)}`,
        max_results: Math.max(this.opts.pageSize, 1),
        page_token: pageToken,
      };
      const res = (await this.http.getJson(path, query, searchVersionsResponse, signal ? { signal } : {}))!;
      const endpoint = this.http.url(path, query).href;
      for (const v of res.model_versions ?? []) {
        // The filter is an equality, but a server that ignored it must not mix other models in.
        if (v.name !== model.name) continue;
        yield this.version(v, aliasesOf.get(v.version) ?? v.aliases ?? [], endpoint);
      }
      pageToken = nextToken(pageToken, res.next_page_token, endpoint);
    } while (pageToken);
  }

  async getRun(runId: string, signal?: AbortSignal): Promise<RegistryRun | undefined> {
    const path = `${api}/runs/get`;
    const res = await this.http.getJson(path, { run_id: runId }, getRunResponse, {
      allowNotFound: true,
      ...(signal ? { signal } : {}),
    });
    if (!res) return undefined;
    const { info, data, inputs } = res.run;
    const metrics: RegistryRun['metrics'] = {};
    for (const m of data?.metrics ?? []) {
      metrics[m.key] = {
        value: m.value,
        ...(m.step !== undefined ? { step: m.step } : {}),
        ...(m.timestamp !== undefined ? { timestamp: m.timestamp } : {}),
      };
    }
    const datasets: RegistryDataset[] = (inputs?.dataset_inputs ?? []).map((input) => {
      const d = input.dataset;
      const context = tagsOf(input.tags)['mlflow.data.context'];
      return {
        name: d.name,
        ...(d.digest ? { digest: d.digest } : {}),
        ...(d.source_type ? { sourceType: d.source_type } : {}),
        ...(d.source ? { source: datasetSourceUri(d.source) } : {}),
        ...(context ? { context } : {}),
        ...(d.schema ? { schema: parseJsonField(d.schema) } : {}),
        ...(d.profile ? { profile: parseJsonField(d.profile) } : {}),
      };
    });
    return {
      id: info.run_id ?? info.run_uuid ?? runId,
      ...(info.experiment_id ? { experimentId: info.experiment_id } : {}),
      ...(info.run_name ? { name: info.run_name } : {}),
      ...(info.status ? { status: info.status } : {}),
      ...(info.lifecycle_stage === 'deleted' ? { deleted: true } : {}),
      ...(info.user_id ? { user: info.user_id } : {}),
      ...(info.start_time !== undefined ? { startedAt: info.start_time } : {}),
      ...(info.end_time !== undefined && info.end_time > 0 ? { endedAt: info.end_time } : {}),
      params: Object.fromEntries((data?.params ?? []).map((p) => [p.key, p.value ?? ''])),
      metrics,
      tags: tagsOf(data?.tags),
      datasets,
      raw: res.run as JsonValue,
      endpoint: this.http.url(path, { run_id: runId }).href,
    };
  }

  /**
   * The run's artifact root; the folder the version's source points at when it is inside the run
   * (`runs:/<run>/<folder>`, or `mlflow-artifacts:/<exp>/<run>/artifacts/<folder>`); and for an MLflow 3
   * version registered from a logged model (`models:/m-<id>`), that model's artifact root.
   */
  documentationLocations(version: RegistryModelVersion): ArtifactLocation[] {
    const out: ArtifactLocation[] = [];
    const source = version.source ?? '';
    const runId = version.runId;
    if (runId) {
      out.push({ root: 'run', dir: '' });
      const viaRuns = source.match(/^runs:\/([^/]+)\/(.+?)\/*$/);
      const marker = `/${runId}/artifacts/`;
      const at = source.indexOf(marker);
      if (viaRuns && viaRuns[1] === runId && viaRuns[2]) out.push({ root: 'run', dir: viaRuns[2] });
      else if (at >= 0 && source.slice(at + marker.length).replace(/\/+$/, ''))
        out.push({ root: 'run', dir: source.slice(at + marker.length).replace(/\/+$/, '') });
    }
    if (loggedModelId(version)) out.push({ root: 'logged-model', dir: '' });
    return out;
  }

  async listArtifacts(
    version: RegistryModelVersion,
    location: ArtifactLocation,
    signal?: AbortSignal,
  ): Promise<RegistryArtifactFile[]> {
    let path: string;
    let query: Record<string, string | undefined>;
    if (location.root === 'run' && version.runId) {
      path = `${api}/artifacts/list`;
      query = { run_id: version.runId, path: location.dir || undefined };
    } else if (location.root === 'logged-model' && loggedModelId(version)) {
      path = `${api}/logged-models/${encodeURIComponent(loggedModelId(version)!)}/artifacts/directories`;
      query = { artifact_directory_path: location.dir || undefined };
    } else {
      return [];
    }
    const out: RegistryArtifactFile[] = [];
    let pageToken: string | undefined;
    do {
      const q = { ...query, page_token: pageToken };
      // A run or logged model deleted since the version was read answers 404: no artifacts to find.
      const res = await this.http.getJson(path, q, listArtifactsResponse, {
        allowNotFound: true,
        ...(signal ? { signal } : {}),
      });
      if (!res) return out;
      for (const f of res.files ?? []) {
        // Run listings give paths from the run's root; logged-model listings too, but be lenient about either.
        const rel =
          location.dir && !f.path.startsWith(`${location.dir}/`) && !f.path.includes('/')
            ? `${location.dir}/${f.path}`
            : f.path;
        out.push({
          root: location.root,
          path: rel,
          isDir: f.is_dir ?? false,
          ...(f.file_size !== undefined ? { size: f.file_size } : {}),
        });
      }
      pageToken = nextToken(pageToken, res.next_page_token, this.http.url(path, q).href);
    } while (pageToken);
    return out;
  }

  async downloadArtifact(
    version: RegistryModelVersion,
    file: Pick<RegistryArtifactFile, 'root' | 'path'>,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<DownloadResult> {
    // `/get-artifact` is the tracking server's download route for run artifacts (also used by its UI); it
    // reads through the server from any artifact store, with or without --serve-artifacts. Logged-model
    // files have only the UI's route.
    if (file.root === 'run' && version.runId)
      return this.http.getBytes('get-artifact', { run_id: version.runId, path: file.path }, maxBytes, signal);
    const modelId = loggedModelId(version);
    if (file.root === 'logged-model' && modelId) {
      return this.http.getBytes(
        `ajax-api/2.0/mlflow/logged-models/${encodeURIComponent(modelId)}/artifacts/files`,
        { artifact_file_path: file.path },
        maxBytes,
        signal,
      );
    }
    return { kind: 'not-found', endpoint: this.location };
  }

  stats(): ConnectorStats {
    return { ...this.http.counters };
  }

  private model(m: RawRegisteredModel, endpoint: string): RegistryModel {
    return {
      name: m.name,
      ...(m.description ? { description: m.description } : {}),
      ...(m.creation_timestamp !== undefined ? { createdAt: m.creation_timestamp } : {}),
      ...(m.last_updated_timestamp !== undefined ? { updatedAt: m.last_updated_timestamp } : {}),
      tags: tagsOf(m.tags),
      aliases: Object.fromEntries((m.aliases ?? []).map((a) => [a.alias, a.version])),
      raw: m as JsonValue,
      endpoint,
    };
  }

  private version(v: RawModelVersion, aliases: string[], endpoint: string): RegistryModelVersion {
    return {
      model: v.name,
      version: v.version,
      stage: v.current_stage || 'None',
      ...(v.status ? { status: v.status } : {}),
      ...(v.description ? { description: v.description } : {}),
      ...(v.source ? { source: v.source } : {}),
      ...(v.run_id ? { runId: v.run_id } : {}),
      ...(v.user_id ? { createdBy: v.user_id } : {}),
      ...(v.creation_timestamp !== undefined ? { createdAt: v.creation_timestamp } : {}),
      ...(v.last_updated_timestamp !== undefined ? { updatedAt: v.last_updated_timestamp } : {}),
      tags: tagsOf(v.tags),
      aliases: [...aliases].sort(),
      raw: { ...v, aliases } as JsonValue,
      endpoint,
    };
  }
}

/** `models:/m-<id>`: a version registered from an MLflow 3 logged model. */
function loggedModelId(version: RegistryModelVersion): string | undefined {
  return version.source?.match(/^models:\/(m-[A-Za-z0-9]+)\/?$/)?.[1];
}

function tagsOf(tags: { key: string; value?: string | undefined }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key, t.value ?? '']));
}

/** MLflow's search grammar takes single- or double-quoted strings; pick the quote the name lacks. */
function quoteFilterValue(name: string): string {
  return name.includes("'") ? `"${name.replace(/"/g, '\\"')}"` : `'${name}'`;
}

function parseJsonField(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** MLflow stores a dataset source as JSON such as {"uri": "s3://..."}; keep the URI when there is one. */
function datasetSourceUri(source: string): string {
  const parsed = parseJsonField(source);
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    for (const key of ['uri', 'url', 'path', 'table_name']) {
      const v = parsed[key];
      if (typeof v === 'string' && v) return v;
    }
  }
  return source;
}

/**
 * The next page token, refusing one that repeats the current one: a server that answers the same token
 * again would otherwise be paged forever (found by the resilience suite's fuzzing).
 */
function nextToken(current: string | undefined, next: string | undefined, endpoint: string): string | undefined {
  if (!next) return undefined;
  if (next === current)
    throw new SourceResponseError(
      `${endpoint}: the server returned the same next_page_token again ("${next.slice(0, 40)}"); paging stopped to avoid a loop`,
    );
  return next;
}
