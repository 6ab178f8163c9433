import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  type ObjectVersion,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { seqName } from '../chain';

/**
 * A write-once witness: every checkpoint is copied to an S3 bucket with Object Lock in COMPLIANCE mode,
 * as `<prefix>checkpoints/<storeId>/<seq>.txt` and `.sig`. Each object is created with `If-None-Match: *`
 * (never overwritten by us) and a retention date; in compliance mode no one, not even the bucket owner or
 * the account root, can delete or shorten it before that date. Someone holding the witness credentials can
 * still stop writing to it, or add a newer version of a key; so the witness is read by the FIRST version of
 * each key, and a key with more than one version is reported (`rewritten`).
 */
export interface S3WitnessOptions {
  client: S3Client;
  bucket: string;
  /** "" or "witness/" (a trailing slash is added). */
  prefix: string;
  /** Retention of each witnessed object, from the moment it is written. */
  retainDays: number;
}

export interface WitnessedCheckpoint {
  sequence: number;
  body: Buffer;
  signature: Buffer;
  /** The key has later versions than the one read (someone wrote to it again). */
  rewritten: boolean;
}

export class WitnessConflictError extends Error {
  override readonly name = 'WitnessConflictError';
}

export class S3LockWitness {
  private readonly prefix: string;

  constructor(private readonly opts: S3WitnessOptions) {
    this.prefix = opts.prefix && !opts.prefix.endsWith('/') ? `${opts.prefix}/` : opts.prefix;
  }

  get location(): string {
    return `s3://${this.opts.bucket}/${this.prefix}`;
  }

  private dir(storeId: string): string {
    if (!/^[0-9a-f]{64}$/.test(storeId)) throw new Error(`not a store id: ${storeId}`);
    return `${this.prefix}checkpoints/${storeId}/`;
  }

  /**
   * Writes one checkpoint (signature first, so a visible .txt always has its .sig). Idempotent: an
   * object that already holds the same bytes counts as written; different bytes are a conflict, never
   * overwritten.
   */
  async put(cp: { storeId: string; sequence: number; body: Buffer; signature: Buffer }): Promise<'written' | 'exists'> {
    const base = `${this.dir(cp.storeId)}${seqName(cp.sequence)}`;
    const sig = await this.putOnce(`${base}.sig`, cp.signature);
    const txt = await this.putOnce(`${base}.txt`, cp.body);
    return sig === 'written' || txt === 'written' ? 'written' : 'exists';
  }

  private async putOnce(key: string, bytes: Buffer): Promise<'written' | 'exists'> {
    try {
      await this.opts.client.send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key: key,
          Body: bytes,
          ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
          IfNoneMatch: '*',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: new Date(Date.now() + this.opts.retainDays * 86_400_000),
        }),
      );
      return 'written';
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
    }
    const existing = await this.read(key);
    if (existing && existing.equals(bytes)) return 'exists';
    throw new WitnessConflictError(
      `${this.location}: ${key.slice(this.prefix.length)} already holds different bytes (the witness is write-once; a different checkpoint for the same sequence means the chain forked)`,
    );
  }

  private async read(key: string, versionId?: string): Promise<Buffer | undefined> {
    try {
      const res = await this.opts.client.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
      );
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404))
        return undefined;
      throw err;
    }
  }

  /** Every version of every object under the store's folder: key → versions, oldest first. */
  private async versions(storeId: string): Promise<Map<string, string[]>> {
    const out = new Map<string, { id: string; at: number }[]>();
    for await (const v of this.listVersions(this.dir(storeId))) {
      if (!v.Key || !v.VersionId) continue;
      const list = out.get(v.Key) ?? [];
      list.push({ id: v.VersionId, at: v.LastModified?.getTime() ?? 0 });
      out.set(v.Key, list);
    }
    return new Map([...out].map(([k, list]) => [k, list.sort((a, b) => a.at - b.at).map((v) => v.id)]));
  }

  /** Every object version under a prefix, page after page. */
  private async *listVersions(prefix: string): AsyncGenerator<ObjectVersion> {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const res = await this.opts.client.send(
        new ListObjectVersionsCommand({
          Bucket: this.opts.bucket,
          Prefix: prefix,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
        }),
      );
      yield* res.Versions ?? [];
      keyMarker = res.IsTruncated ? res.NextKeyMarker : undefined;
      versionMarker = res.IsTruncated ? res.NextVersionIdMarker : undefined;
    } while (keyMarker);
  }

  /** Sequences witnessed for this store (those with a .txt). */
  async sequences(storeId: string): Promise<number[]> {
    return [...(await this.versions(storeId)).keys()]
      .map((k) => /(\d{12})\.txt$/.exec(k)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** The newest witnessed checkpoint of the store, read from the first version of its objects. */
  async newest(storeId: string): Promise<WitnessedCheckpoint | undefined> {
    const versions = await this.versions(storeId);
    const seqs = [...versions.keys()]
      .map((k) => /(\d{12})\.txt$/.exec(k)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
    for (const sequence of seqs) {
      const base = `${this.dir(storeId)}${seqName(sequence)}`;
      const txtVersions = versions.get(`${base}.txt`) ?? [];
      const sigVersions = versions.get(`${base}.sig`) ?? [];
      const body = await this.read(`${base}.txt`, txtVersions[0]);
      const signature = sigVersions[0] ? await this.read(`${base}.sig`, sigVersions[0]) : undefined;
      if (!body) continue;
      return {
        sequence,
        body,
        signature: signature ?? Buffer.alloc(0),
        rewritten: txtVersions.length > 1 || sigVersions.length > 1,
      };
    }
    return undefined;
  }

  /** Store ids with witnessed checkpoints under the prefix (to recognise a store whose chain was emptied). */
  async storeIds(): Promise<string[]> {
    const ids = new Set<string>();
    for await (const v of this.listVersions(`${this.prefix}checkpoints/`)) {
      const m = /checkpoints\/([0-9a-f]{64})\//.exec(v.Key ?? '');
      if (m) ids.add(m[1]!);
    }
    return [...ids].sort();
  }
}

function isPreconditionFailed(err: unknown): boolean {
  return (
    err instanceof S3ServiceException && (err.name === 'PreconditionFailed' || err.$metadata.httpStatusCode === 412)
  );
}
