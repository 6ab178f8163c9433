import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket } from '@google-cloud/storage';
import { ObjectEvidenceStore } from './object/object-store';
import { httpStoreFaultOf } from './object/http-faults';
import { retainUntil, type ObjectHead, type ObjectStorage, type PutOptions } from './object/storage';

export interface GcsStoreOptions {
  bucket: Bucket;
  /** Object name prefix inside the bucket ("" or "evidence/"). */
  prefix: string;
  /**
   * Object Retention Lock put on every object that makes up the evidence (blobs, manifests, signatures,
   * checkpoints); the bucket must be created with object retention enabled. `Locked`: it can be extended,
   * never shortened or removed. A bucket-level retention policy also works for WORM, but it holds every
   * object, so the store's mutable objects (alert, witness and integrity state, the index) could not be
   * rewritten: use object retention. Either one shows in `blobLockedUntil`, which prune respects.
   */
  retention?: { mode: 'Locked' | 'Unlocked'; days: number } | undefined;
  /** Artifacts up to this size are written in one request; larger ones stream. */
  singlePutMaxBytes?: number | undefined;
}

/**
 * The evidence store in Google Cloud Storage: the same layout and chain as the S3 store. The chain's
 * exclusive create is an upload with the precondition `ifGenerationMatch: 0` (no live object by that name).
 */
export class GcsStore extends ObjectEvidenceStore {
  constructor(opts: GcsStoreOptions) {
    super(new GcsObjects(opts), { prefix: opts.prefix, singlePutMaxBytes: opts.singlePutMaxBytes });
  }
}

/** The ObjectStorage calls on one bucket; every SDK error is classified (http-faults.ts). */
class GcsObjects implements ObjectStorage {
  private readonly bucket: Bucket;

  constructor(private readonly opts: GcsStoreOptions) {
    this.bucket = opts.bucket;
  }

  get root(): string {
    return `gs://${this.bucket.name}/`;
  }

  private retention(locked: boolean | undefined): { metadata?: { retention: object } } {
    const r = this.opts.retention;
    if (!locked || !r) return {};
    return { metadata: { retention: { mode: r.mode, retainUntilTime: retainUntil(r.days).toISOString() } } };
  }

  private fault(err: unknown): unknown {
    return (
      httpStoreFaultOf(
        err,
        statusOf(err),
        this.root,
        'store.gcs.serviceAccountJson (or the workload identity), the bucket name and the storage role',
      ) ?? err
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const [bytes] = await this.bucket.file(key).download();
      return bytes;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.fault(err);
    }
  }

  async put(key: string, bytes: Buffer, options: PutOptions): Promise<boolean> {
    try {
      await this.bucket.file(key).save(bytes, {
        resumable: false,
        ...(options.ifAbsent ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
        ...this.retention(options.locked),
      });
      return true;
    } catch (err) {
      if (options.ifAbsent && statusOf(err) === 412) return false;
      throw this.fault(err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    try {
      const [files] = await this.bucket.getFiles({ prefix, autoPaginate: true });
      return files.map((f) => f.name);
    } catch (err) {
      throw this.fault(err);
    }
  }

  async delete(keys: string[]): Promise<void> {
    try {
      for (const key of keys) await this.bucket.file(key).delete({ ignoreNotFound: true });
    } catch (err) {
      throw this.fault(err);
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const [meta] = await this.bucket.file(key).getMetadata();
      // The later of the object's own retention and the bucket policy's expiry for it.
      const until = [meta.retention?.retainUntilTime, meta.retentionExpirationTime]
        .filter((t): t is string => typeof t === 'string')
        .map((t) => new Date(t))
        .sort((a, b) => b.getTime() - a.getTime())[0];
      return { size: Number(meta.size ?? 0), lockedUntil: until };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.fault(err);
    }
  }

  openRead(key: string): Readable {
    const out = new PassThrough();
    const source = this.bucket.file(key).createReadStream();
    source.on('error', (e) => out.destroy(this.fault(e) as Error));
    source.pipe(out);
    return out;
  }

  /** One streamed upload request: the body flows through, nothing is buffered whole. */
  async upload(key: string, body: Readable): Promise<void> {
    try {
      await pipeline(body, this.bucket.file(key).createWriteStream({ resumable: false, validation: 'crc32c' }));
    } catch (err) {
      throw this.fault(err);
    }
  }

  async copy(from: string, to: string, options: { locked: boolean }): Promise<void> {
    try {
      const dest = this.bucket.file(to);
      await this.bucket.file(from).copy(dest);
      // A copy carries only custom metadata: the retention goes on the new object right after.
      const { metadata } = this.retention(options.locked);
      if (metadata) await dest.setMetadata(metadata);
    } catch (err) {
      throw this.fault(err);
    }
  }
}

/** The HTTP status on a GCS SDK error (ApiError's numeric `code`), if any. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Parses `gs://bucket/prefix`. */
export function parseGcsUrl(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/.exec(url);
  return m ? { bucket: m[1]!, prefix: m[2] ?? '' } : undefined;
}
