import { PassThrough, type Readable } from 'node:stream';
import { RestError, type BlobImmutabilityPolicy, type ContainerClient } from '@azure/storage-blob';
import { ObjectEvidenceStore } from './object/object-store';
import { httpStoreFaultOf } from './object/http-faults';
import { retainUntil, type ObjectHead, type ObjectStorage, type PutOptions } from './object/storage';

export interface AzureStoreOptions {
  container: ContainerClient;
  /** Blob name prefix inside the container ("" or "evidence/"). */
  prefix: string;
  /**
   * A version-level immutability policy (WORM) put on every blob that makes up the evidence (blobs,
   * manifests, signatures, checkpoints). The container needs version-level immutability support enabled.
   * `Locked`: nobody can shorten or remove it; `Unlocked`: for trying it out, an admin can still remove it.
   */
  immutability?: { mode: 'Locked' | 'Unlocked'; days: number } | undefined;
  /** Artifacts up to this size are written in one request; larger ones stream in blocks. */
  singlePutMaxBytes?: number | undefined;
}

/**
 * The evidence store in Azure Blob Storage: the same layout and chain as the S3 store. The chain's exclusive
 * create is an upload with `If-None-Match: *`.
 */
export class AzureStore extends ObjectEvidenceStore {
  constructor(opts: AzureStoreOptions) {
    super(new AzureObjects(opts), { prefix: opts.prefix, singlePutMaxBytes: opts.singlePutMaxBytes });
  }
}

/** The ObjectStorage calls on one Azure container; every SDK error is classified (http-faults.ts). */
class AzureObjects implements ObjectStorage {
  private readonly container: ContainerClient;

  constructor(private readonly opts: AzureStoreOptions) {
    this.container = opts.container;
  }

  get root(): string {
    return `azure://${this.container.containerName}/`;
  }

  private policy(locked: boolean | undefined): { immutabilityPolicy?: BlobImmutabilityPolicy } {
    const imm = this.opts.immutability;
    if (!locked || !imm) return {};
    return { immutabilityPolicy: { expiriesOn: retainUntil(imm.days), policyMode: imm.mode } };
  }

  private fault(err: unknown): unknown {
    const status = err instanceof RestError ? err.statusCode : undefined;
    return (
      httpStoreFaultOf(
        err,
        status,
        this.root,
        'store.azure.auth (the account key, SAS token or identity), the container name and its role assignment',
      ) ?? err
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await this.container.getBlobClient(key).downloadToBuffer();
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw this.fault(err);
    }
  }

  async put(key: string, bytes: Buffer, options: PutOptions): Promise<boolean> {
    try {
      await this.container.getBlockBlobClient(key).upload(bytes, bytes.length, {
        ...(options.ifAbsent ? { conditions: { ifNoneMatch: '*' } } : {}),
        ...this.policy(options.locked),
      });
      return true;
    } catch (err) {
      // An existing blob answers 409 BlobAlreadyExists (412 from some service versions).
      if (options.ifAbsent && (isStatus(err, 409) || isStatus(err, 412))) return false;
      throw this.fault(err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix })) out.push(blob.name);
    } catch (err) {
      throw this.fault(err);
    }
    return out;
  }

  async delete(keys: string[]): Promise<void> {
    try {
      for (const key of keys) await this.container.getBlobClient(key).deleteIfExists();
    } catch (err) {
      throw this.fault(err);
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const props = await this.container.getBlobClient(key).getProperties();
      return { size: props.contentLength ?? 0, lockedUntil: props.immutabilityPolicyExpiresOn };
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw this.fault(err);
    }
  }

  openRead(key: string): Readable {
    const out = new PassThrough();
    this.container
      .getBlobClient(key)
      .download()
      .then((res) => {
        const body = res.readableStreamBody as Readable;
        body.on('error', (e) => out.destroy(e));
        body.pipe(out);
      })
      .catch((err: unknown) => out.destroy(this.fault(err) as Error));
    return out;
  }

  /** Staged blocks of 4 MiB, two in flight: bounded memory whatever the size. */
  async upload(key: string, body: Readable): Promise<void> {
    try {
      await this.container.getBlockBlobClient(key).uploadStream(body, 4 * 1024 * 1024, 2);
    } catch (err) {
      throw this.fault(err);
    }
  }

  /** A server-side copy inside the account (the destination request's authorization covers the source). */
  async copy(from: string, to: string, options: { locked: boolean }): Promise<void> {
    try {
      const poller = await this.container
        .getBlobClient(to)
        .beginCopyFromURL(this.container.getBlobClient(from).url, this.policy(options.locked));
      await poller.pollUntilDone();
    } catch (err) {
      throw this.fault(err);
    }
  }
}

function isStatus(err: unknown, status: number): boolean {
  return err instanceof RestError && err.statusCode === status;
}

/** Parses `azure://container/prefix`. */
export function parseAzureUrl(url: string): { container: string; prefix: string } | undefined {
  const m = /^azure:\/\/([a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  return m ? { container: m[1]!, prefix: m[2] ?? '' } : undefined;
}
