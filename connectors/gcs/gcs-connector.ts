import { Readable } from 'node:stream';
import type { Bucket, File, FileMetadata, Storage } from '@google-cloud/storage';
import { canonicalJson } from '../../core/digest';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from '../object-store/retry';
import { newSteps, SeenObjects, type ObjectStep } from '../object-store/seen';
import { selectorFor, type Selector } from '../object-store/selection';
import { countedStream } from '../object-store/stream';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import type { GcsScope, GcsSourceConfig } from './config';
import { permissionFor, type GcsOperation } from './permissions';

export const gcsCollector = 'gcs@1.0.0';
const apiVersion = 'storage/v1';

type Step = ObjectStep;

/** What an SDK error carries: the HTTP status as `code`, and the response with its headers. */
interface GcsApiError {
  code?: number | string;
  message?: string;
  response?: { headers?: Record<string, string | undefined> };
}

/**
 * Objects in Google Cloud Storage buckets (policy documents, dataset manifests, contracts, archived
 * logs), with generations, and each bucket's retention controls (retention policy and lock, default
 * event-based hold, versioning) as a `bucket` record. Object names are data, never paths.
 */
export class GcsConnector implements Connector {
  readonly type = 'gcs';
  private counters = { requests: 0, listed: 0, unchanged: 0, retries: 0, contentBytes: 0 };
  private seen = new SeenObjects(undefined);

  constructor(
    private readonly cfg: GcsSourceConfig,
    private readonly storage: Storage,
    private readonly retry: RetryPolicy = defaultRetryPolicy,
  ) {}

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    this.counters = { requests: 0, listed: 0, unchanged: 0, retries: 0, contentBytes: 0 };
    this.seen = new SeenObjects(options.previousState);
    const recordedBuckets = new Set<string>();
    for (const [i, scope] of this.cfg.scopes.entries()) {
      const bucket = this.storage.bucket(scope.bucket);
      const steps: Step[] = [];
      if (!recordedBuckets.has(scope.bucket)) {
        recordedBuckets.add(scope.bucket);
        steps.push(await this.bucketStep(i, scope, bucket, options.signal));
      }
      steps.push(...(await this.objectSteps(i, scope, bucket, options.signal)));
      yield* newSteps(steps, this.seen, options, () => this.counters.unchanged++);
    }
  }

  state(): JsonValue {
    return this.seen.state();
  }

  stats(): ConnectorStats {
    return { ...this.counters };
  }

  private async call<T>(op: GcsOperation, scope: GcsScope, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await withRetries(
        () => {
          this.counters.requests++;
          return fn();
        },
        (err) => {
          const e = err as GcsApiError;
          return {
            status: typeof e.code === 'number' ? e.code : undefined,
            retryAfter: e.response?.headers?.['retry-after'],
          };
        },
        this.retry,
        signal,
        () => this.counters.retries++,
      );
    } catch (err) {
      throw classify(err, this.cfg.id, scope, op);
    }
  }

  private async bucketStep(index: number, scope: GcsScope, bucket: Bucket, signal?: AbortSignal): Promise<Step> {
    const [meta] = await this.call('buckets.get', scope, () => bucket.getMetadata(), signal);
    const retention = meta.retentionPolicy as
      { retentionPeriod?: string | number; effectiveTime?: string; isLocked?: boolean } | undefined;
    const attributes: Record<string, JsonValue> = {
      bucket: scope.bucket,
      metageneration: String(meta.metageneration ?? ''),
      updated: String(meta.updated ?? meta.timeCreated ?? new Date(0).toISOString()),
      labels: (meta.labels ?? {}) as Record<string, string>,
      versioning: meta.versioning?.enabled === true,
      defaultEventBasedHold: meta.defaultEventBasedHold === true,
      retentionPolicy: retention
        ? {
            retentionPeriodSeconds: Number(retention.retentionPeriod ?? 0),
            isLocked: retention.isLocked === true,
            ...(retention.effectiveTime ? { effectiveTime: retention.effectiveTime } : {}),
          }
        : null,
    };
    return {
      cursor: `${pad(index)}\u0000`,
      identity: `bucket\u0000${scope.bucket}`,
      fingerprint: canonicalJson(attributes),
      build: () => ({
        meta: {
          externalId: `bucket:${scope.bucket}`,
          kind: 'bucket',
          observedAt: new Date(attributes['updated'] as string).toISOString(),
          mediaType: 'application/json',
          attributes,
          provenance: { endpoint: `gs://${scope.bucket}`, apiVersion, collector: gcsCollector },
        },
        open: () => Readable.from([Buffer.from(canonicalJson(attributes))]),
      }),
    };
  }

  private async objectSteps(index: number, scope: GcsScope, bucket: Bucket, signal?: AbortSignal): Promise<Step[]> {
    const selector = selectorFor(scope);
    const files: File[] = [];
    let pageToken: string | undefined;
    do {
      const [page, next] = await this.call(
        'objects.list',
        scope,
        () =>
          bucket.getFiles({
            prefix: scope.prefix,
            versions: scope.versions,
            autoPaginate: false,
            maxResults: 1000,
            ...(pageToken ? { pageToken } : {}),
          }),
        signal,
      );
      files.push(...page.filter((f) => selector.wanted(f.name)));
      this.counters.listed = files.length;
      pageToken = (next as { pageToken?: string } | null)?.pageToken || undefined;
    } while (pageToken);
    return files.map((f) => this.objectStep(index, scope, bucket, f.metadata, selector));
  }

  private objectStep(index: number, scope: GcsScope, bucket: Bucket, m: FileMetadata, selector: Selector): Step {
    const name = m.name ?? '';
    const generation = String(m.generation ?? '');
    const size = Number(m.size ?? 0);
    const decision = selector.content(name, size);
    const updated = new Date(String(m.updated ?? m.timeCreated ?? 0)).toISOString();
    const attributes: Record<string, JsonValue> = {
      bucket: scope.bucket,
      name,
      path: selector.relative(name),
      generation,
      metageneration: String(m.metageneration ?? ''),
      size,
      lastModified: updated,
      isLatest: !m.timeDeleted,
      content: decision.note,
      metadata: (m.metadata ?? {}) as Record<string, string>,
      temporaryHold: m.temporaryHold === true,
      eventBasedHold: m.eventBasedHold === true,
      ...(scope.versions ? { versionId: generation } : {}),
      ...(m.retentionExpirationTime ? { retentionExpirationTime: String(m.retentionExpirationTime) } : {}),
      ...(m.contentType ? { contentType: m.contentType } : {}),
      ...(m.md5Hash ? { md5Hash: m.md5Hash } : {}),
      ...(m.crc32c ? { crc32c: m.crc32c } : {}),
      ...(m.storageClass ? { storageClass: m.storageClass } : {}),
    };
    return {
      cursor: `${pad(index)}\u0000${name}\u0000${generation.padStart(20, '0')}`,
      identity: `${scope.bucket}\u0000${name}${scope.versions ? `\u0000${generation}` : ''}`,
      // metageneration changes with metadata and holds, generation with the bytes.
      fingerprint: `${generation}|${String(m.metageneration ?? '')}`,
      build: () => ({
        meta: {
          externalId: `${scope.bucket}/${name}${scope.versions ? `#${generation}` : ''}`,
          kind: scope.kind,
          observedAt: updated,
          mediaType: decision.collect ? (m.contentType ?? 'application/octet-stream') : 'application/json',
          attributes,
          provenance: {
            endpoint: `gs://${scope.bucket}/${encodeURI(name)}#${generation}`,
            ...(m.etag ? { etag: m.etag } : {}),
            versionId: generation,
            apiVersion,
            collector: gcsCollector,
          },
        },
        open: () =>
          decision.collect
            ? countedStream(
                // Pinned to the listed generation, so a concurrent overwrite cannot swap the bytes.
                async () => {
                  this.counters.requests++;
                  const stream = bucket.file(name, { generation: Number(generation) }).createReadStream();
                  return stream.on('error', (err) =>
                    stream.destroy(classify(err, this.cfg.id, scope, 'objects.get') as Error),
                  );
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

/** GCS errors as the connector error classes: credentials fail fast and name the permission missing. */
export function classify(err: unknown, sourceId: string, scope: GcsScope, op: GcsOperation): unknown {
  const where = `source "${sourceId}", bucket "${scope.bucket}"${scope.prefix ? ` prefix "${scope.prefix}"` : ''}`;
  if (err instanceof CredentialsError || err instanceof SourceConfigError) return err;
  const e = err as GcsApiError;
  const message = (e.message ?? String(err)).split('\n')[0]!.slice(0, 300);
  if (e.code === 401 || /Could not load the default credentials|invalid_grant/i.test(message)) {
    return new CredentialsError(
      `${where}: ${op} rejected the credentials (${message}); renew the service account key or identity`,
    );
  }
  if (e.code === 403) {
    return new CredentialsError(`${where}: access denied to ${op}; the credentials need ${permissionFor(op)}`);
  }
  if (e.code === 404 && op !== 'objects.get') {
    return new SourceConfigError(
      `${where}: the bucket does not exist (check sources[].scopes[].bucket for "${sourceId}")`,
    );
  }
  if (typeof e.code === 'number' && e.code >= 500) return err; // retried by the activity
  if (typeof e.code === 'number') return new SourceResponseError(`${where}: ${op} failed: ${e.code}: ${message}`);
  return err;
}
