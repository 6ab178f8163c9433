import { Readable } from 'node:stream';
import { RestError, type BlobItem, type BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { canonicalJson } from '../../core/digest';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from '../object-store/retry';
import { newSteps, SeenObjects, type ObjectStep } from '../object-store/seen';
import { selectorFor } from '../object-store/selection';
import { countedStream } from '../object-store/stream';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import type { AzureBlobScope, AzureBlobSourceConfig } from './config';
import { permissionFor, type AzureOperation } from './permissions';

export const azureBlobCollector = 'azure-blob@1.0.0';
const apiVersionNote = 'Azure Blob REST';

type Step = ObjectStep;

/**
 * Blobs in Azure Storage containers (policy documents, dataset manifests, contracts, archived logs), with
 * versions, snapshots, metadata and index tags, and each container's retention controls (immutability
 * policy, legal hold, version-level WORM) as a `container` record. Blob names are data, never paths: a
 * name such as `../../etc/passwd` is recorded verbatim in JSON and the bytes are stored under their hash.
 */
export class AzureBlobConnector implements Connector {
  readonly type = 'azure-blob';
  private counters = { requests: 0, listed: 0, unchanged: 0, retries: 0, contentBytes: 0 };
  private seen = new SeenObjects(undefined);

  constructor(
    private readonly cfg: AzureBlobSourceConfig,
    private readonly service: BlobServiceClient,
    private readonly retry: RetryPolicy = defaultRetryPolicy,
  ) {}

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    this.counters = { requests: 0, listed: 0, unchanged: 0, retries: 0, contentBytes: 0 };
    this.seen = new SeenObjects(options.previousState);
    const recordedContainers = new Set<string>();
    for (const [i, scope] of this.cfg.scopes.entries()) {
      const container = this.service.getContainerClient(scope.container);
      const steps: Step[] = [];
      // One record per container, even when several scopes read it.
      if (!recordedContainers.has(scope.container)) {
        recordedContainers.add(scope.container);
        steps.push(await this.containerStep(i, scope, container, options.signal));
      }
      steps.push(...(await this.blobSteps(i, scope, container, options.signal)));
      yield* newSteps(steps, this.seen, options, () => this.counters.unchanged++);
    }
  }

  state(): JsonValue {
    return this.seen.state();
  }

  stats(): ConnectorStats {
    return { ...this.counters };
  }

  private async call<T>(op: AzureOperation, scope: AzureBlobScope, fn: () => Promise<T>, signal?: AbortSignal) {
    try {
      return await withRetries(
        () => {
          this.counters.requests++;
          return fn();
        },
        (err) => ({
          status: err instanceof RestError ? err.statusCode : undefined,
          retryAfter: err instanceof RestError ? err.response?.headers.get('retry-after') : undefined,
        }),
        this.retry,
        signal,
        () => this.counters.retries++,
      );
    } catch (err) {
      throw classify(err, this.cfg.id, scope, op);
    }
  }

  private async containerStep(
    index: number,
    scope: AzureBlobScope,
    container: ContainerClient,
    signal?: AbortSignal,
  ): Promise<Step> {
    const props = await this.call(
      'Get Container Properties',
      scope,
      () => container.getProperties(signal ? { abortSignal: signal } : {}),
      signal,
    );
    const attributes: Record<string, JsonValue> = {
      container: scope.container,
      etag: props.etag ?? '',
      lastModified: (props.lastModified ?? new Date(0)).toISOString(),
      metadata: props.metadata ?? {},
      hasImmutabilityPolicy: props.hasImmutabilityPolicy ?? false,
      hasLegalHold: props.hasLegalHold ?? false,
      versionLevelWorm: props.isImmutableStorageWithVersioningEnabled ?? false,
      publicAccess: props.blobPublicAccess ?? 'none',
    };
    const endpoint = container.url;
    return {
      cursor: `${pad(index)}\u0000`,
      identity: `container\u0000${scope.container}`,
      fingerprint: canonicalJson(attributes),
      build: () => ({
        meta: {
          externalId: `container:${scope.container}`,
          kind: 'container',
          observedAt: attributes['lastModified'] as string,
          mediaType: 'application/json',
          attributes,
          provenance: { endpoint, etag: props.etag, apiVersion: apiVersionNote, collector: azureBlobCollector },
        },
        open: () => Readable.from([Buffer.from(canonicalJson(attributes))]),
      }),
    };
  }

  private async blobSteps(
    index: number,
    scope: AzureBlobScope,
    container: ContainerClient,
    signal?: AbortSignal,
  ): Promise<Step[]> {
    const selector = selectorFor(scope);
    const items: BlobItem[] = [];
    let token: string | undefined;
    do {
      // A fresh page iterator per page: a page that failed can be asked again with the same token.
      const page = await this.call(
        'List Blobs',
        scope,
        async () =>
          (
            await container
              .listBlobsFlat({
                prefix: scope.prefix,
                includeMetadata: true,
                includeTags: true,
                includeVersions: scope.versions,
                includeSnapshots: scope.snapshots,
                ...(signal ? { abortSignal: signal } : {}),
              })
              .byPage({ maxPageSize: 5000, ...(token ? { continuationToken: token } : {}) })
              .next()
          ).value as { segment: { blobItems: BlobItem[] }; continuationToken?: string },
        signal,
      );
      items.push(...page.segment.blobItems.filter((b) => selector.wanted(b.name)));
      this.counters.listed = items.length;
      token = page.continuationToken || undefined;
    } while (token);
    return items.map((item) => this.blobStep(index, scope, container, item, selector));
  }

  private blobStep(
    index: number,
    scope: AzureBlobScope,
    container: ContainerClient,
    item: BlobItem,
    selector: ReturnType<typeof selectorFor>,
  ): Step {
    const p = item.properties;
    const size = p.contentLength ?? 0;
    const decision = selector.content(item.name, size);
    const etag = p.etag ?? '';
    const lastModified = (p.lastModified ?? new Date(0)).toISOString();
    const attributes: Record<string, JsonValue> = {
      container: scope.container,
      name: item.name,
      path: selector.relative(item.name),
      etag,
      size,
      lastModified,
      isLatest: item.versionId ? item.isCurrentVersion === true : !item.snapshot,
      content: decision.note,
      metadata: item.metadata ?? {},
      tags: item.tags ?? {},
      legalHold: p.legalHold ?? false,
      ...(item.versionId ? { versionId: item.versionId } : {}),
      ...(item.snapshot ? { snapshot: item.snapshot } : {}),
      ...(p.contentType ? { contentType: p.contentType } : {}),
      ...(p.accessTier ? { accessTier: p.accessTier } : {}),
      ...(p.immutabilityPolicyExpiresOn
        ? {
            immutableUntil: p.immutabilityPolicyExpiresOn.toISOString(),
            immutabilityMode: p.immutabilityPolicyMode ?? '',
          }
        : {}),
    };
    const blob = container.getBlobClient(item.name);
    const pinned = item.versionId
      ? blob.withVersion(item.versionId)
      : item.snapshot
        ? blob.withSnapshot(item.snapshot)
        : blob;
    const suffix = item.versionId ? `@${item.versionId}` : item.snapshot ? `@snapshot:${item.snapshot}` : '';
    return {
      cursor: `${pad(index)}\u0000${item.name}\u0000${item.snapshot ?? ''}\u0000${item.versionId ?? ''}`,
      identity: `${scope.container}\u0000${item.name}\u0000${item.snapshot ?? ''}\u0000${item.versionId ?? ''}`,
      // Tags and holds change without changing the ETag: a changed tag or hold is a new record.
      fingerprint: canonicalJson([
        etag,
        size,
        item.tags ?? {},
        p.legalHold ?? false,
        attributes['immutableUntil'] ?? '',
      ]),
      build: () => ({
        meta: {
          externalId: `${scope.container}/${item.name}${suffix}`,
          kind: scope.kind,
          observedAt: lastModified,
          mediaType: decision.collect ? (p.contentType ?? 'application/octet-stream') : 'application/json',
          attributes,
          provenance: {
            endpoint: pinned.url,
            etag,
            ...(item.versionId ? { versionId: item.versionId } : {}),
            apiVersion: apiVersionNote,
            collector: azureBlobCollector,
          },
        },
        open: () =>
          decision.collect
            ? countedStream(
                async () => {
                  // Pinned to the listed version/snapshot, or If-Match the listed ETag, so a concurrent
                  // overwrite cannot swap the bytes.
                  const res = await this.call('Get Blob', scope, () =>
                    pinned.download(0, undefined, {
                      maxRetryRequests: 0,
                      ...(item.versionId || item.snapshot ? {} : { conditions: { ifMatch: etag } }),
                    }),
                  );
                  if (!res.readableStreamBody) throw new SourceResponseError(`${pinned.url}: no body in the answer`);
                  return res.readableStreamBody as Readable;
                },
                (n) => (this.counters.contentBytes += n),
              )
            : Readable.from([Buffer.from(canonicalJson(attributes))]),
      }),
    };
  }
}

function pad(index: number): string {
  return String(index).padStart(3, '0');
}

/** Azure errors as the connector error classes: credentials fail fast and name the permission missing. */
export function classify(err: unknown, sourceId: string, scope: AzureBlobScope, op: AzureOperation): unknown {
  const where = `source "${sourceId}", container "${scope.container}"${scope.prefix ? ` prefix "${scope.prefix}"` : ''}`;
  const e = err as { name?: string; message?: string };
  if (
    e.name === 'CredentialUnavailableError' ||
    e.name === 'AuthenticationError' ||
    e.name === 'AggregateAuthenticationError'
  ) {
    return new CredentialsError(
      `${where}: no Entra ID token (${e.name}: ${firstLine(e.message)}); check the auth settings`,
    );
  }
  if (!(err instanceof RestError)) return err;
  const code = err.code ?? '';
  const status = err.statusCode;
  if (code === 'AuthenticationFailed' || code === 'InvalidAuthenticationInfo' || status === 401) {
    return new CredentialsError(
      `${where}: ${op} rejected the credentials (${code || status}); renew the key, SAS or identity configured for this source`,
    );
  }
  if (status === 403) {
    return new CredentialsError(
      `${where}: access denied to ${op} (${code || status}); the credentials need ${permissionFor(op)}`,
    );
  }
  if (code === 'ContainerNotFound' || (status === 404 && op !== 'Get Blob')) {
    return new SourceConfigError(
      `${where}: the container does not exist (check sources[].scopes[].container for "${sourceId}")`,
    );
  }
  if (status !== undefined && status >= 500) return err; // retried by the activity
  return new SourceResponseError(`${where}: ${op} failed: ${code || status}: ${firstLine(err.message)}`);
}

function firstLine(message: string | undefined): string {
  return (message ?? '').split('\n')[0]!.slice(0, 300);
}
