import type { ConnectorStats } from '../types';
import type { JsonValue } from '../../core/json';

/**
 * What the model-registry connector needs from a registry, normalized. MLflow implements it over its
 * REST API (connectors/mlflow/client.ts); SageMaker Model Registry and Hugging Face Hub clients would
 * implement the same interface (see connectors/model-registry/README.md), and get the artifacts, the
 * attributes, the incremental state and the default mappings for free.
 *
 * Times are epoch milliseconds. `raw` is the registry's own answer, stored as evidence next to the
 * normalized attributes; `endpoint` is where it was read, for provenance.
 */
export interface RegistryModel {
  name: string;
  description?: string;
  createdAt?: number;
  updatedAt?: number;
  tags: Record<string, string>;
  /** Alias (or tag, label) to version: MLflow's registered-model aliases. */
  aliases: Record<string, string>;
  raw: JsonValue;
  endpoint: string;
}

export interface RegistryModelVersion {
  model: string;
  /** Registry's version id; numeric strings sort numerically. */
  version: string;
  /** Lifecycle stage (MLflow `current_stage`, SageMaker approval status); `None` when there is none. */
  stage: string;
  status?: string;
  description?: string;
  /** Where the model files are (MLflow `source`, e.g. `runs:/<run>/model`). */
  source?: string;
  /** Training run that produced the version, when the registry links one. */
  runId?: string;
  /** Who registered the version, when the registry records it (MLflow's `user_id` is often empty). */
  createdBy?: string;
  createdAt?: number;
  /** Last change the registry timestamps (MLflow: description and stage changes; not tags or aliases). */
  updatedAt?: number;
  tags: Record<string, string>;
  /** Aliases pointing at this version now. */
  aliases: string[];
  raw: JsonValue;
  endpoint: string;
}

export interface RegistryMetric {
  value: number;
  step?: number;
  timestamp?: number;
}

export interface RegistryDataset {
  name: string;
  /** Content digest as the registry computed it (MLflow dataset digest). */
  digest?: string;
  sourceType?: string;
  /** Where the data lives (a URI, or the registry's JSON description of the source). */
  source?: string;
  /** Role in the run: training, evaluation, ... */
  context?: string;
  schema?: JsonValue;
  profile?: JsonValue;
}

export interface RegistryRun {
  id: string;
  experimentId?: string;
  name?: string;
  status?: string;
  /** The registry deleted the run (MLflow `lifecycle_stage: deleted`): it no longer documents the version. */
  deleted?: boolean;
  user?: string;
  startedAt?: number;
  endedAt?: number;
  params: Record<string, string>;
  /** Latest value per metric key. */
  metrics: Record<string, RegistryMetric>;
  tags: Record<string, string>;
  datasets: RegistryDataset[];
  raw: JsonValue;
  endpoint: string;
}

/**
 * A folder in one of a version's artifact trees. `root` names the tree, opaquely to the connector
 * (MLflow: `run` for the run's artifacts, `logged-model` for an MLflow 3 logged model's).
 */
export interface ArtifactLocation {
  root: string;
  /** Folder relative to the root, `/`-separated; `''` is the root itself. */
  dir: string;
}

export interface RegistryArtifactFile {
  root: string;
  /** Path relative to the root, `/`-separated. */
  path: string;
  isDir: boolean;
  size?: number;
}

export type DownloadResult =
  | { kind: 'ok'; bytes: Buffer; endpoint: string; lastModified?: number; etag?: string }
  /** `size` when the registry declared it (listing, Content-Length); absent when the download was cut at the cap. */
  | { kind: 'too-large'; size?: number; endpoint: string }
  | { kind: 'not-found'; endpoint: string };

export interface ModelRegistryClient {
  /** Registry product, e.g. `mlflow`; recorded in every artifact. */
  readonly registry: string;
  /** Where the registry is, for messages and provenance (no credentials). */
  readonly location: string;
  /** API version recorded in provenance, e.g. `2.0`. */
  readonly apiVersion: string;
  /** One model by exact name; undefined when it does not exist. */
  getModel(name: string, signal?: AbortSignal): Promise<RegistryModel | undefined>;
  /** Every model the credentials can see. */
  listModels(signal?: AbortSignal): AsyncIterable<RegistryModel>;
  /** Every version of a model, in any order, with `aliases` filled in. */
  listVersions(model: RegistryModel, signal?: AbortSignal): AsyncIterable<RegistryModelVersion>;
  /** The run (training job, commit) that produced a version; undefined when it is gone. */
  getRun(runId: string, signal?: AbortSignal): Promise<RegistryRun | undefined>;
  /** Where documentation of a version is looked for; config may add folders to each root named here. */
  documentationLocations(version: RegistryModelVersion): ArtifactLocation[];
  /** Direct children of one artifact folder of a version; empty when the folder does not exist. */
  listArtifacts(
    version: RegistryModelVersion,
    location: ArtifactLocation,
    signal?: AbortSignal,
  ): Promise<RegistryArtifactFile[]>;
  /** Downloads one artifact, refusing (without reading it all) one larger than `maxBytes`. */
  downloadArtifact(
    version: RegistryModelVersion,
    file: Pick<RegistryArtifactFile, 'root' | 'path'>,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<DownloadResult>;
  /** Request accounting (requests, retries, throttled answers). */
  stats(): ConnectorStats;
}

/** What one version's details fetch found: its run (lineage) and the model cards among its artifacts. */
export interface VersionDetails {
  run?: RegistryRun;
  cards: RegistryArtifactFile[];
  content: string;
}
