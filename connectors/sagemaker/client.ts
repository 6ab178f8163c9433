import {
  DescribeModelPackageCommand,
  DescribeModelPackageGroupCommand,
  DescribeTrainingJobCommand,
  ListModelPackageGroupsCommand,
  ListModelPackagesCommand,
  type ModelPackageGroupSummary,
} from '@aws-sdk/client-sagemaker';
import type { JsonValue } from '../../core/json';
import type {
  ArtifactLocation,
  DownloadResult,
  ModelRegistryClient,
  RegistryArtifactFile,
  RegistryModel,
  RegistryModelVersion,
  RegistryRun,
} from '../model-registry/types';
import type { ConnectorStats } from '../types';
import { abortable, type SagemakerCalls } from './aws-calls';
import { listingKey, packageInfoFrom, parsePackageArn, type PackageInfo } from './package-info';

/** Tags the connector adds to a package's customer metadata; the mapping rules read them. */
export const approvedByTag = 'sagemaker:approved-by';
export const approvedAtTag = 'sagemaker:approved-at';
/** A version is in production when an endpoint serves it: it carries this alias (and `endpoint:<name>`). */
export const deployedAlias = 'deployed';
/** The virtual file an inline `ModelCard` is collected as. */
export const modelCardFile = 'model_card.json';

export interface SagemakerClientOptions {
  trainingJobKeys: string[];
  /** Package infos of the previous run, by ARN: reused while the listing entry is unchanged. */
  previous: Record<string, PackageInfo>;
  /** Endpoints serving each package ARN now (from the endpoint pass before the registry pass). */
  endpointsByPackage: Map<string, string[]>;
}

/**
 * SageMaker Model Registry as a ModelRegistryClient: a model package group is a model, a model package a
 * version (approval status as its stage), the training job behind it its run, an inline model card its
 * one documentation file. Endpoints serving a package make it "in production" through the `deployed` alias.
 */
export class SagemakerRegistryClient implements ModelRegistryClient {
  readonly registry = 'sagemaker';
  readonly apiVersion = '2017-07-24';
  /** Every package info of this run, by ARN: the next state. */
  readonly infos: Record<string, PackageInfo> = {};
  private readonly byVersion = new Map<string, PackageInfo>();

  constructor(
    private readonly calls: SagemakerCalls,
    private readonly opts: SagemakerClientOptions,
  ) {}

  get location(): string {
    return this.calls.location;
  }

  async getModel(name: string, signal?: AbortSignal): Promise<RegistryModel | undefined> {
    const g = await this.calls.sendOrUndefined('DescribeModelPackageGroup', (c) =>
      c.send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name }), abortable(signal)),
    );
    return g ? this.model(g, 'DescribeModelPackageGroup') : undefined;
  }

  async *listModels(signal?: AbortSignal): AsyncIterable<RegistryModel> {
    let token: string | undefined;
    do {
      const page = await this.calls.send('ListModelPackageGroups', (c) =>
        c.send(new ListModelPackageGroupsCommand({ MaxResults: 100, NextToken: token }), abortable(signal)),
      );
      for (const g of page.ModelPackageGroupSummaryList ?? []) yield this.model(g, 'ListModelPackageGroups');
      token = page.NextToken;
    } while (token);
  }

  private model(g: ModelPackageGroupSummary, action: string): RegistryModel {
    const name = g.ModelPackageGroupName ?? '';
    // `endpoint:<name>` → the version it serves, like MLflow's aliases (an endpoint may serve several variants).
    const aliases: Record<string, string> = {};
    for (const [arn, endpoints] of this.opts.endpointsByPackage) {
      const parsed = parsePackageArn(arn);
      if (parsed?.group !== name) continue;
      for (const e of endpoints) aliases[`endpoint:${e}`] = parsed.version;
    }
    return {
      name,
      ...(g.ModelPackageGroupDescription ? { description: g.ModelPackageGroupDescription } : {}),
      ...(g.CreationTime ? { createdAt: g.CreationTime.getTime() } : {}),
      tags: {},
      aliases,
      raw: {
        name,
        arn: g.ModelPackageGroupArn ?? null,
        description: g.ModelPackageGroupDescription ?? null,
        createdAt: g.CreationTime?.toISOString() ?? null,
        status: g.ModelPackageGroupStatus ?? null,
      },
      endpoint: `${action} ${name}`,
    };
  }

  async *listVersions(model: RegistryModel, signal?: AbortSignal): AsyncIterable<RegistryModelVersion> {
    let token: string | undefined;
    do {
      const page = await this.calls.send('ListModelPackages', (c) =>
        c.send(
          new ListModelPackagesCommand({ ModelPackageGroupName: model.name, MaxResults: 100, NextToken: token }),
          abortable(signal),
        ),
      );
      for (const s of page.ModelPackageSummaryList ?? []) {
        const arn = s.ModelPackageArn;
        if (!arn) continue;
        const key = listingKey(s);
        let info = this.opts.previous[arn];
        if (info?.key !== key) {
          const d = await this.calls.send('DescribeModelPackage', (c) =>
            c.send(new DescribeModelPackageCommand({ ModelPackageName: arn }), abortable(signal)),
          );
          info = packageInfoFrom(key, d);
        }
        this.infos[arn] = info;
        this.byVersion.set(`${model.name}\u0000${info.version}`, info);
        yield this.version(model.name, info);
      }
      token = page.NextToken;
    } while (token);
  }

  private version(model: string, info: PackageInfo): RegistryModelVersion {
    const endpoints = this.opts.endpointsByPackage.get(info.arn) ?? [];
    const tags: Record<string, string> = { ...info.metadata };
    for (const [k, uri] of Object.entries(info.metricsReports)) tags[`sagemaker:model-metrics:${k}`] = uri;
    if (info.approvalDescription) tags['sagemaker:approval-description'] = info.approvalDescription;
    if (info.card?.status) tags['sagemaker:model-card-status'] = info.card.status;
    if (info.approvalStatus === 'Approved') {
      // SageMaker keeps who changed the package last and when, not an approval log: an approved package's last
      // change is, in the usual flow, its approval. CloudTrail has the full history; this connector does not read it.
      tags[approvedByTag] = info.modifiedBy ?? '(not recorded by SageMaker)';
      if (info.modifiedAt !== undefined) tags[approvedAtTag] = new Date(info.modifiedAt).toISOString();
    }
    const runId = this.trainingJobOf(info);
    const source = info.inference.containers.find((c) => c.modelDataUrl)?.modelDataUrl ?? info.sourceUri;
    return {
      model,
      version: info.version,
      stage: info.approvalStatus,
      ...(info.status ? { status: info.status } : {}),
      ...(info.description ? { description: info.description } : {}),
      ...(source ? { source } : {}),
      ...(runId ? { runId } : {}),
      ...(info.createdBy ? { createdBy: info.createdBy } : {}),
      ...(info.createdAt !== undefined ? { createdAt: info.createdAt } : {}),
      ...(info.modifiedAt !== undefined ? { updatedAt: info.modifiedAt } : {}),
      tags,
      aliases: endpoints.length > 0 ? [deployedAlias, ...endpoints.map((e) => `endpoint:${e}`)] : [],
      raw: info as unknown as JsonValue,
      endpoint: `DescribeModelPackage ${info.arn}`,
    };
  }

  /** The training job: named in customer metadata, or read from SageMaker's output layout of the model data. */
  private trainingJobOf(info: PackageInfo): string | undefined {
    for (const k of this.opts.trainingJobKeys) if (info.metadata[k]) return info.metadata[k];
    for (const c of info.inference.containers) {
      const m = /^s3:\/\/[^/]+\/(?:.*\/)?([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/output\/model\.tar\.gz$/.exec(
        c.modelDataUrl ?? '',
      );
      if (m) return m[1];
    }
    return undefined;
  }

  async getRun(runId: string, signal?: AbortSignal): Promise<RegistryRun | undefined> {
    const j = await this.calls.sendOrUndefined('DescribeTrainingJob', (c) =>
      c.send(new DescribeTrainingJobCommand({ TrainingJobName: runId }), abortable(signal)),
    );
    if (!j) return undefined;
    const { $metadata: _ignored, ...rest } = j;
    return {
      id: runId,
      ...(j.TrainingJobName ? { name: j.TrainingJobName } : {}),
      ...(j.TrainingJobStatus ? { status: j.TrainingJobStatus } : {}),
      ...(j.TrainingStartTime ? { startedAt: j.TrainingStartTime.getTime() } : {}),
      ...(j.TrainingEndTime ? { endedAt: j.TrainingEndTime.getTime() } : {}),
      params: { ...(j.HyperParameters ?? {}) },
      metrics: Object.fromEntries(
        (j.FinalMetricDataList ?? [])
          .filter((m) => m.MetricName !== undefined && m.Value !== undefined)
          .map((m) => [
            m.MetricName!,
            { value: m.Value!, ...(m.Timestamp ? { timestamp: m.Timestamp.getTime() } : {}) },
          ]),
      ),
      tags: {},
      // SageMaker records where each channel read its data, not a digest of it: the lineage names the
      // sources and the A.7.5 rule reports them as not hashed.
      datasets: (j.InputDataConfig ?? []).map((ch) => ({
        name: ch.ChannelName ?? '(unnamed channel)',
        sourceType: ch.DataSource?.S3DataSource ? 's3' : ch.DataSource?.FileSystemDataSource ? 'file-system' : 'other',
        ...(ch.DataSource?.S3DataSource?.S3Uri ? { source: ch.DataSource.S3DataSource.S3Uri } : {}),
        ...(ch.ChannelName ? { context: ch.ChannelName } : {}),
      })),
      raw: JSON.parse(JSON.stringify(rest)) as JsonValue,
      endpoint: `DescribeTrainingJob ${runId}`,
    };
  }

  documentationLocations(version: RegistryModelVersion): ArtifactLocation[] {
    return this.info(version)?.card ? [{ root: 'model-card', dir: '' }] : [];
  }

  listArtifacts(version: RegistryModelVersion, location: ArtifactLocation): Promise<RegistryArtifactFile[]> {
    const card = this.info(version)?.card;
    if (!card || location.root !== 'model-card' || location.dir !== '') return Promise.resolve([]);
    return Promise.resolve([{ root: 'model-card', path: modelCardFile, isDir: false, size: card.size }]);
  }

  async downloadArtifact(
    version: RegistryModelVersion,
    file: Pick<RegistryArtifactFile, 'root' | 'path'>,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<DownloadResult> {
    const info = this.info(version);
    const endpoint = `DescribeModelPackage ${info?.arn ?? `${version.model}/${version.version}`} ModelCard`;
    if (!info || file.root !== 'model-card' || file.path !== modelCardFile) return { kind: 'not-found', endpoint };
    const d = await this.calls.send('DescribeModelPackage', (c) =>
      c.send(new DescribeModelPackageCommand({ ModelPackageName: info.arn }), abortable(signal)),
    );
    const content = d.ModelCard?.ModelCardContent;
    if (content === undefined) return { kind: 'not-found', endpoint };
    const bytes = Buffer.from(content, 'utf8');
    if (bytes.length > maxBytes) return { kind: 'too-large', size: bytes.length, endpoint };
    return {
      kind: 'ok',
      bytes,
      endpoint,
      ...(d.LastModifiedTime ? { lastModified: d.LastModifiedTime.getTime() } : {}),
    };
  }

  stats(): ConnectorStats {
    return { ...this.calls.counters };
  }

  private info(v: RegistryModelVersion): PackageInfo | undefined {
    return this.byVersion.get(`${v.model}\u0000${v.version}`);
  }
}
