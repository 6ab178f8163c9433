import { Readable } from 'node:stream';
import { SageMakerClient, type SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { fingerprint } from '../../core/digest';
import { jsonValueSchema, type JsonValue } from '../../core/json';
import type { ResolveSecret } from '../descriptor';
import { ModelRegistryConnector } from '../model-registry/registry-connector';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import { SagemakerCalls } from './aws-calls';
import { approvedAtTag, approvedByTag, deployedAlias, modelCardFile, SagemakerRegistryClient } from './client';
import type { SagemakerSourceConfig } from './config';
import {
  endpointInfoSchema,
  endpointRecord,
  endpointsByPackage,
  resolveEndpoints,
  type EndpointInfo,
} from './endpoints';
import { packageInfoSchema } from './package-info';

export const sagemakerCollector = 'sagemaker@1.0.0';

const stateSchema = z.object({
  format: z.literal('sagemaker-state@1'),
  registry: jsonValueSchema,
  packages: z.record(z.string(), packageInfoSchema),
  endpoints: z.record(z.string(), endpointInfoSchema),
  /** Fingerprint of each endpoint's last `deployed-endpoint` record: emitted again only when it changes. */
  endpointRecords: z.record(z.string(), z.string()),
});
type SagemakerState = z.infer<typeof stateSchema>;

/** Resume cursors: `r:` + the registry pass's cursor, then `e:` + an endpoint name (endpoints come last). */
const registryPrefix = 'r:';
const endpointPrefix = 'e:';
/** A registry cursor after every model: resuming in the endpoint pass skips the whole registry pass. */
const pastEveryModel = JSON.stringify(['\uffff', '', 0]);

/**
 * SageMaker Model Registry evidence: the shared model-registry connector over a SageMaker client (groups,
 * packages, approval as stage, training jobs as runs, inline model cards), with an endpoint pass around it.
 * Endpoints are resolved first, so a package an endpoint serves is "in production" (alias `deployed`); after
 * the registry pass, one `deployed-endpoint` record per changed endpoint names the packages it serves and
 * those not `Approved`.
 */
export class SagemakerConnector implements Connector {
  readonly type = 'sagemaker';
  private nextState: SagemakerState | undefined;
  private registry: ModelRegistryConnector | undefined;

  constructor(
    private readonly calls: SagemakerCalls,
    private readonly source: SagemakerSourceConfig,
    private readonly now: () => Date = () => new Date(),
  ) {}

  state(): JsonValue {
    return (this.nextState ?? null) as JsonValue;
  }

  stats(): ConnectorStats {
    return { ...(this.registry?.stats() ?? {}), ...this.calls.counters };
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    this.nextState = undefined;
    const parsed = options.previousState ? stateSchema.safeParse(options.previousState) : undefined;
    if (parsed && !parsed.success)
      options.log.warn({ source: this.source.id }, 'previous sagemaker state unreadable; collecting everything again');
    const prev = parsed?.success ? parsed.data : undefined;
    const resume = options.resumeAfter;
    const endpoints = await resolveEndpoints(this.calls, prev?.endpoints ?? {}, options.signal);
    const client = new SagemakerRegistryClient(this.calls, {
      trainingJobKeys: this.source.trainingJobKeys,
      previous: prev?.packages ?? {},
      endpointsByPackage: endpointsByPackage(endpoints),
    });
    this.registry = new ModelRegistryConnector(client, {
      type: 'sagemaker',
      sourceId: this.source.id,
      collector: sagemakerCollector,
      models: this.source.modelPackageGroups,
      production: { stages: [], aliases: [deployedAlias] },
      metrics: this.source.metrics,
      modelCards: { files: [modelCardFile], dirs: [], maxBytes: this.source.maxCardBytes },
      tags: {
        ...this.source.tags,
        approvedBy: [approvedByTag],
        approvedAt: [approvedAtTag],
      },
      now: this.now,
    });
    const innerResume = resume?.startsWith(endpointPrefix)
      ? pastEveryModel
      : resume?.startsWith(registryPrefix)
        ? resume.slice(registryPrefix.length)
        : undefined;
    const { resumeAfter: _outer, ...rest } = options;
    for await (const step of this.registry.collect({
      ...rest,
      previousState: prev?.registry ?? null,
      ...(innerResume !== undefined ? { resumeAfter: innerResume } : {}),
    })) {
      yield { ...step, cursor: `${registryPrefix}${step.cursor}` };
    }

    const records: Record<string, string> = {};
    const at = this.now().toISOString();
    for (const e of endpoints) {
      options.signal?.throwIfAborted();
      const { attributes, body } = endpointRecord(e, client.infos);
      const fp = fingerprint(body, 32);
      records[e.name] = fp;
      if (prev?.endpointRecords[e.name] === fp) continue;
      if (resume?.startsWith(endpointPrefix) && e.name <= resume.slice(endpointPrefix.length)) continue;
      yield endpointStep(e, attributes, body, at, this.calls.location);
    }
    this.nextState = {
      format: 'sagemaker-state@1',
      registry: this.registry.state(),
      packages: client.infos,
      endpoints: Object.fromEntries(endpoints.map((e) => [e.name, e])),
      endpointRecords: records,
    };
  }
}

function endpointStep(
  e: EndpointInfo,
  attributes: Record<string, JsonValue>,
  body: string,
  at: string,
  location: string,
): CollectionStep {
  return {
    cursor: `${endpointPrefix}${e.name}`,
    artifact: {
      meta: {
        externalId: `endpoints/${e.name}`,
        kind: 'deployed-endpoint',
        // Dated when the endpoint last changed; a record re-emitted for an approval change is dated now.
        observedAt: e.modifiedAt !== undefined ? new Date(e.modifiedAt).toISOString() : at,
        mediaType: 'application/json',
        attributes,
        provenance: {
          endpoint: `DescribeEndpoint ${e.name} (${location})`,
          apiVersion: 'sagemaker-rest-2017-07-24',
          collector: sagemakerCollector,
        },
      },
      open: () => Readable.from([Buffer.from(body, 'utf8')]),
    },
  };
}

/** Test seams: a pinned clock. */
export interface SagemakerConnectorOverrides {
  now?: () => Date;
}

/** Builds the connector for one `type: sagemaker` source; static keys are resolved here, at collection time. */
export async function createSagemakerConnector(
  source: SagemakerSourceConfig,
  resolveSecret: ResolveSecret,
  overrides: SagemakerConnectorOverrides = {},
): Promise<SagemakerConnector> {
  const credentials = source.credentials
    ? {
        accessKeyId: await resolveSecret(source.credentials.accessKeyId, 'credentials.accessKeyId'),
        secretAccessKey: await resolveSecret(source.credentials.secretAccessKey, 'credentials.secretAccessKey'),
        ...(source.credentials.sessionToken
          ? { sessionToken: await resolveSecret(source.credentials.sessionToken, 'credentials.sessionToken') }
          : {}),
      }
    : undefined;
  const config: SageMakerClientConfig = {
    region: source.region,
    maxAttempts: source.maxAttempts,
    ...(source.endpoint ? { endpoint: source.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
  const location = source.endpoint ?? source.region;
  return new SagemakerConnector(
    new SagemakerCalls(new SageMakerClient(config), source.id, location),
    source,
    overrides.now,
  );
}
