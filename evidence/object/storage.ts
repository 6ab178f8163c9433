import type { Readable } from 'node:stream';

/**
 * The few object-storage calls the evidence store is built on (S3, Azure Blob, GCS). Keys are full object
 * keys (the store's prefix included). The chain algorithm needs exactly one strong primitive from the
 * service: `put(..., { ifAbsent: true })` must be an atomic create-if-absent (S3 `If-None-Match: *`, Azure
 * `If-None-Match: *`, GCS `ifGenerationMatch: 0`), so two writers can never both claim a chain position.
 */
export interface ObjectStorage {
  /** `s3://bucket/`, `azure://container/`, `gs://bucket/`: the location shown to people, without the prefix. */
  readonly root: string;
  /** The bytes of an object, or undefined when it does not exist. */
  get(key: string): Promise<Buffer | undefined>;
  /**
   * Writes a small object whole. With `ifAbsent` it returns false (and writes nothing) when the key already
   * exists; `locked` applies the configured write-once retention (Object Lock, immutability, retention).
   */
  put(key: string, bytes: Buffer, options: PutOptions): Promise<boolean>;
  /** Every key under a key prefix (any order). */
  list(prefix: string): Promise<string[]>;
  /** Removes objects; a missing one is not an error. */
  delete(keys: string[]): Promise<void>;
  /** Size and retention of an object, or undefined when it does not exist. */
  head(key: string): Promise<ObjectHead | undefined>;
  /** Streams an object; the stream errors when it does not exist. */
  openRead(key: string): Readable;
  /** Streams a body of unknown size to a (temporary, unlocked) key with bounded memory. */
  upload(key: string, body: Readable): Promise<void>;
  /** Server-side copy (`from` is a finished upload), applying the retention when `locked`. */
  copy(from: string, to: string, options: { locked: boolean }): Promise<void>;
}

export interface PutOptions {
  ifAbsent?: boolean;
  locked?: boolean;
}

export interface ObjectHead {
  size: number;
  /** When a retention on this object (version) ends; undefined when none is active or known. */
  lockedUntil?: Date | undefined;
}

/** When a write-once retention started now for `days` ends. */
export function retainUntil(days: number, now = Date.now()): Date {
  return new Date(now + days * 86_400_000);
}
