import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { PassThrough, Readable } from 'node:stream';
import { z } from 'zod';
import type { ResolveSecret } from '../descriptor';
import { selectorFor } from '../object-store/selection';
import { canonicalJson } from '../../core/digest';
import { codeUnitOrder } from '../../core/order';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import type { JsonValue } from '../../core/json';
import type { S3Connection, S3Scope, S3SourceConfig } from './config';
import { documentDating, metadataAsFrontMatter } from '../document-dating';

export const s3Collector = 's3@1.0.0';

/** One object (or object version) as listed. */
interface Listed {
  scope: number;
  bucket: string;
  key: string;
  versionId?: string;
  isLatest: boolean;
  etag: string;
  size: number;
  lastModified: Date;
  storageClass?: string;
}

/** The fields ListObjectsV2 and ListObjectVersions both return for an entry. */
interface ListedEntry {
  ETag?: string | undefined;
  Size?: number | undefined;
  LastModified?: Date | undefined;
  StorageClass?: string | undefined;
}

/** One listed entry; `versionId` "null" is what S3 lists for an object written before versioning was on. */
function listed(
  scope: number,
  bucket: string,
  key: string,
  entry: ListedEntry,
  versionId: string | undefined,
  isLatest: boolean,
): Listed {
  return {
    scope,
    bucket,
    key,
    ...(versionId && versionId !== 'null' ? { versionId } : {}),
    isLatest,
    etag: entry.ETag ?? '',
    size: entry.Size ?? 0,
    lastModified: entry.LastModified ?? new Date(0),
    ...(entry.StorageClass ? { storageClass: entry.StorageClass } : {}),
  };
}

/** What a previous run saw of each object: enough to skip it when its ETag/version is unchanged. */
const stateSchema = z.object({ v: z.literal(1), seen: z.record(z.string(), z.string()) });

/**
 * Objects in S3 buckets: policy documents, dataset manifests, contracts, archived logs. Each object (or
 * version) becomes an artifact observed at its LastModified. Keys are data, never paths: a key such as
 * `../../etc/passwd` is recorded verbatim in JSON and the bytes are stored under their hash.
 */
export class S3Connector implements Connector {
  readonly type = 's3';
  private counters = { requests: 0, listed: 0, unchanged: 0, contentBytes: 0 };
  private nextState: z.infer<typeof stateSchema> = { v: 1, seen: {} };

  constructor(
    private readonly cfg: S3SourceConfig,
    private readonly client: S3Client,
  ) {}

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    this.counters = { requests: 0, listed: 0, unchanged: 0, contentBytes: 0 };
    const previous = stateSchema.safeParse(options.previousState);
    const seen = previous.success ? previous.data.seen : {};
    this.nextState = { v: 1, seen: { ...seen } };
    for (const [i, scope] of this.cfg.scopes.entries()) {
      const listed = await this.list(i, scope, options.signal);
      // Sorted so the cursor (scope index + key + version) resumes an interrupted run exactly.
      listed.sort((a, b) => codeUnitOrder(cursorOf(a), cursorOf(b)));
      for (const obj of listed) {
        options.signal?.throwIfAborted();
        const cursor = cursorOf(obj);
        const identity = `${obj.bucket}\u0000${obj.key}\u0000${obj.versionId ?? ''}`;
        const fingerprint = `${obj.etag}|${obj.versionId ?? ''}|${obj.size}`;
        this.nextState.seen[identity] = fingerprint;
        if (options.resumeAfter !== undefined && cursor <= options.resumeAfter) continue;
        if (seen[identity] === fingerprint || (options.since && obj.lastModified < options.since)) {
          this.counters.unchanged++;
          continue;
        }
        yield { cursor, artifact: await this.artifact(obj, scope) };
      }
    }
  }

  state(): JsonValue {
    return this.nextState as unknown as JsonValue;
  }

  stats(): ConnectorStats {
    return { ...this.counters };
  }

  private async send<T>(what: string, scope: S3Scope, fn: () => Promise<T>): Promise<T> {
    this.counters.requests++;
    try {
      return await fn();
    } catch (err) {
      throw classify(err, this.cfg.id, scope, what);
    }
  }

  private async list(index: number, scope: S3Scope, signal?: AbortSignal): Promise<Listed[]> {
    const { wanted } = selectorFor(scope);
    const out: Listed[] = [];
    let token: string | undefined;
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      if (scope.versions) {
        const res = await this.send('ListObjectVersions', scope, () =>
          this.client.send(
            new ListObjectVersionsCommand({
              Bucket: scope.bucket,
              Prefix: scope.prefix,
              KeyMarker: keyMarker,
              VersionIdMarker: versionMarker,
            }),
            signal ? { abortSignal: signal } : {},
          ),
        );
        for (const v of res.Versions ?? []) {
          if (!v.Key || !wanted(v.Key)) continue;
          out.push(listed(index, scope.bucket, v.Key, v, v.VersionId, v.IsLatest ?? false));
        }
        keyMarker = res.IsTruncated ? res.NextKeyMarker : undefined;
        versionMarker = res.IsTruncated ? res.NextVersionIdMarker : undefined;
      } else {
        const res = await this.send('ListObjectsV2', scope, () =>
          this.client.send(
            new ListObjectsV2Command({ Bucket: scope.bucket, Prefix: scope.prefix, ContinuationToken: token }),
            signal ? { abortSignal: signal } : {},
          ),
        );
        for (const o of res.Contents ?? []) {
          if (!o.Key || !wanted(o.Key)) continue;
          out.push(listed(index, scope.bucket, o.Key, o, undefined, true));
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      }
      this.counters.listed = out.length;
    } while (token || keyMarker);
    return out;
  }

  private async artifact(obj: Listed, scope: S3Scope): Promise<CollectionStep['artifact']> {
    const selector = selectorFor(scope);
    const rel = selector.relative(obj.key);
    let metadata: Record<string, string> | undefined;
    let contentType: string | undefined;
    if (this.cfg.userMetadata) {
      const head = await this.send('HeadObject', scope, () =>
        this.client.send(
          new HeadObjectCommand({
            Bucket: obj.bucket,
            Key: obj.key,
            ...(obj.versionId ? { VersionId: obj.versionId } : {}),
          }),
        ),
      );
      metadata = head.Metadata ?? {};
      contentType = head.ContentType;
    }
    const decision = selector.content(obj.key, obj.size);
    const attributes: Record<string, JsonValue> = {
      bucket: obj.bucket,
      key: obj.key,
      path: rel,
      etag: obj.etag,
      size: obj.size,
      lastModified: obj.lastModified.toISOString(),
      isLatest: obj.isLatest,
      content: decision.note,
      ...(obj.versionId ? { versionId: obj.versionId } : {}),
      ...(obj.storageClass ? { storageClass: obj.storageClass } : {}),
      ...(metadata ? { metadata } : {}),
    };
    // Documents (policies, contracts) are dated like folder documents, from their user metadata
    // (x-amz-meta-effective-date, -approved-by, -status); without a date they are unverified. Data objects
    // (manifests, archived logs) keep the object time, which is when that data was written.
    const dating = documentKinds.has(scope.kind)
      ? documentDating(
          { frontMatter: metadataAsFrontMatter(metadata ?? {}) },
          { iso: obj.lastModified.toISOString(), from: 'last-modified' },
        )
      : undefined;
    if (dating) Object.assign(attributes, dating.attributes);
    const endpoint = `s3://${obj.bucket}/${encodeURI(obj.key)}${obj.versionId ? `?versionId=${encodeURIComponent(obj.versionId)}` : ''}`;
    const collectContent = decision.collect;
    return {
      meta: {
        externalId: `${obj.bucket}/${obj.key}${obj.versionId ? `@${obj.versionId}` : ''}`,
        kind: scope.kind,
        observedAt: dating?.observedAt ?? obj.lastModified.toISOString(),
        mediaType: collectContent ? (contentType ?? 'application/octet-stream') : 'application/json',
        attributes,
        provenance: {
          endpoint,
          etag: obj.etag,
          ...(obj.versionId ? { versionId: obj.versionId } : {}),
          apiVersion: '2006-03-01',
          collector: s3Collector,
        },
      },
      open: () =>
        collectContent ? this.download(obj, scope) : Readable.from([Buffer.from(canonicalJson(attributes))]),
    };
  }

  /** Streams the object pinned to the listed version/ETag, so a concurrent overwrite cannot swap the bytes. */
  private download(obj: Listed, scope: S3Scope): Readable {
    const out = new PassThrough();
    this.send('GetObject', scope, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: obj.bucket,
          Key: obj.key,
          ...(obj.versionId ? { VersionId: obj.versionId } : { IfMatch: obj.etag }),
        }),
      ),
    )
      .then((res) => {
        const body = res.Body as Readable;
        body.on('data', (c: Buffer) => (this.counters.contentBytes += c.length));
        body.on('error', (e) => out.destroy(e));
        body.pipe(out);
      })
      .catch((err: unknown) => out.destroy(err as Error));
    return out;
  }
}

const documentKinds: ReadonlySet<string> = new Set(['policy-document', 'contract']);

function cursorOf(o: Listed): string {
  return `${String(o.scope).padStart(3, '0')}\u0000${o.key}\u0000${o.versionId ?? ''}`;
}

/** S3 errors as the connector error classes: credentials fail fast, unknown buckets name the scope. */
function classify(err: unknown, sourceId: string, scope: S3Scope, what: string): unknown {
  if (!(err instanceof S3ServiceException)) return err;
  const where = `source "${sourceId}", bucket "${scope.bucket}"${scope.prefix ? ` prefix "${scope.prefix}"` : ''}`;
  const status = err.$metadata.httpStatusCode;
  if (
    ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'TokenRefreshRequired'].includes(err.name) ||
    status === 401
  ) {
    return new CredentialsError(
      `${where}: ${what} rejected the credentials (${err.name}); renew the keys configured for this source`,
    );
  }
  if (err.name === 'AccessDenied' || status === 403) {
    const action =
      what === 'ListObjectsV2'
        ? 's3:ListBucket'
        : what === 'ListObjectVersions'
          ? 's3:ListBucketVersions'
          : what === 'HeadObject' || what === 'GetObject'
            ? 's3:GetObject (and s3:GetObjectVersion for versions)'
            : what;
    return new CredentialsError(`${where}: access denied to ${what}; the credentials need ${action} on this bucket`);
  }
  if (err.name === 'NoSuchBucket' || (status === 404 && what.startsWith('List'))) {
    return new SourceConfigError(
      `${where}: the bucket does not exist (check sources[].scopes[].bucket for "${sourceId}")`,
    );
  }
  if (status && status >= 500) return err; // retried by the activity
  return new SourceResponseError(`${where}: ${what} failed: ${err.name}: ${err.message}`);
}

/** An S3 client for configured connection settings; secrets are resolved now, at collection time. */
export async function s3ClientFor(conn: S3Connection, resolveSecret: ResolveSecret): Promise<S3Client> {
  const credentials = conn.credentials
    ? {
        accessKeyId: await resolveSecret(conn.credentials.accessKeyId, 'credentials.accessKeyId'),
        secretAccessKey: await resolveSecret(conn.credentials.secretAccessKey, 'credentials.secretAccessKey'),
        ...(conn.credentials.sessionToken
          ? { sessionToken: await resolveSecret(conn.credentials.sessionToken, 'credentials.sessionToken') }
          : {}),
      }
    : undefined;
  const config: S3ClientConfig = {
    region: conn.region,
    forcePathStyle: conn.forcePathStyle,
    maxAttempts: 4,
    ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
  return new S3Client(config);
}

export async function createS3Connector(source: S3SourceConfig, resolveSecret: ResolveSecret): Promise<S3Connector> {
  return new S3Connector(source, await s3ClientFor(source, resolveSecret));
}
