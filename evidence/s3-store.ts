import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type ObjectLockMode,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { classifyStoreFaults } from './s3-faults';
import { ObjectEvidenceStore } from './object/object-store';
import { retainUntil, type ObjectHead, type ObjectStorage, type PutOptions } from './object/storage';

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket ("" or "evidence/"). */
  prefix: string;
  /**
   * Object Lock retention applied to everything that makes up the evidence (blobs, manifests,
   * signatures, keys). The bucket must have Object Lock enabled. COMPLIANCE mode: nobody, not even the
   * account root, can delete or shorten it.
   */
  objectLock?: { mode: ObjectLockMode; days: number };
  /** Artifacts up to this size are hashed in memory and written once; larger ones stream (multipart). */
  singlePutMaxBytes?: number;
}

/**
 * The evidence store in S3 (or any S3-compatible service). Same layout and chain as every object store
 * (object/object-store.ts); the chain's exclusive create is a conditional PutObject (`If-None-Match: *`).
 */
export class S3Store extends ObjectEvidenceStore {
  constructor(opts: S3StoreOptions) {
    classifyStoreFaults(opts.client);
    super(new S3Objects(opts), { prefix: opts.prefix, singlePutMaxBytes: opts.singlePutMaxBytes });
  }
}

/** The ObjectStorage calls on one S3 bucket. */
class S3Objects implements ObjectStorage {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(private readonly opts: S3StoreOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
  }

  get root(): string {
    return `s3://${this.bucket}/`;
  }

  private lockParams(): { ObjectLockMode?: ObjectLockMode; ObjectLockRetainUntilDate?: Date } {
    if (!this.opts.objectLock) return {};
    return {
      ObjectLockMode: this.opts.objectLock.mode,
      ObjectLockRetainUntilDate: retainUntil(this.opts.objectLock.days),
    };
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Writes a small object with an S3-verified SHA-256 checksum. */
  async put(key: string, bytes: Buffer, options: PutOptions): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
          ...(options.ifAbsent ? { IfNoneMatch: '*' } : {}),
          ...(options.locked ? this.lockParams() : {}),
        }),
      );
      return true;
    } catch (err) {
      if (options.ifAbsent && isPreconditionFailed(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      if (batch.length === 0) continue;
      const res = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((k) => ({ Key: k })), Quiet: true },
        }),
      );
      // A batch delete answers 200 even when keys were refused (access, Object Lock): they come back in
      // Errors, and a refused delete must not pass for a done one (pruning, the operator-action log).
      const refused = res.Errors ?? [];
      if (refused.length > 0) {
        const first = refused[0]!;
        throw new Error(
          `s3://${this.bucket}/${first.Key ?? '?'}: delete refused (${first.Code ?? 'error'}: ${first.Message ?? ''})${refused.length > 1 ? ` and ${refused.length - 1} more` : ''}; check the bucket policy and its Object Lock default retention`,
        );
      }
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: res.ContentLength ?? 0, lockedUntil: res.ObjectLockRetainUntilDate };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  openRead(key: string): Readable {
    const out = new PassThrough();
    this.client
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))
      .then((res) => {
        const body = res.Body as Readable;
        body.on('error', (e) => out.destroy(e));
        body.pipe(out);
      })
      .catch((err: unknown) => out.destroy(err as Error));
    return out;
  }

  /** A multipart upload with SHA-256 part checksums; never more than two parts in memory. */
  async upload(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ChecksumAlgorithm: 'SHA256' },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
    });
    try {
      await upload.done();
    } catch (err) {
      await upload.abort().catch(() => undefined);
      throw err;
    }
  }

  async copy(from: string, to: string, options: { locked: boolean }): Promise<void> {
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: to,
        CopySource: encodeURI(`${this.bucket}/${from}`),
        ChecksumAlgorithm: 'SHA256',
        ...(options.locked ? this.lockParams() : {}),
      }),
    );
  }
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof S3ServiceException &&
    (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404)
  );
}

function isPreconditionFailed(err: unknown): boolean {
  return (
    err instanceof S3ServiceException && (err.name === 'PreconditionFailed' || err.$metadata.httpStatusCode === 412)
  );
}

/** Parses `s3://bucket/prefix`. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  return m ? { bucket: m[1]!, prefix: m[2] ?? '' } : undefined;
}
