import type { Readable } from 'node:stream';
import type { JsonValue } from '../core/json';
import type { ArtifactRecord } from './manifest';
import type { SigningKey } from './signing';

export interface BlobRef {
  sha256: string;
  size: number;
  /** False when an identical blob was already stored (content-addressed dedup). */
  created: boolean;
}

export interface ChainHead {
  sequence: number;
  digest: string;
}

export interface CommittedBundle {
  bundleId: string;
  sequence: number;
  digest: string;
  /** Human-facing location of the manifest (a file path or a URL). */
  location: string;
}

export interface KeyRecord {
  keyId: string;
  algorithm: 'ed25519';
  publicKeyPem: string;
  validFrom: string;
  /** Set when the key was rotated out; signatures made after it are invalid. */
  validUntil?: string | undefined;
}

/** Records staged for one source of one bundle; appended as collection goes, checkpointed by offset. */
export interface StagingWriter {
  append(record: ArtifactRecord): Promise<void>;
  /** Flushes to disk and returns the byte offset that a resumed attempt truncates to. */
  checkpoint(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Everything the collection and verification paths need from a store. Filesystem is the embedded
 * default; S3 implements the same contract. Both also keep the alert state (alert-state.ts).
 */
export interface EvidenceStore {
  readonly location: string;
  putBlob(content: Readable): Promise<BlobRef>;
  openBlob(sha256: string): Readable;
  /** Size of a stored blob, or undefined when it is missing. */
  blobSize(sha256: string): Promise<number | undefined>;
  listBlobs(): Promise<string[]>;

  openStaging(bundleId: string, source: string, truncateTo: number): Promise<StagingWriter>;
  readStaged(bundleId: string, source: string): Promise<ArtifactRecord[]>;
  removeStaging(bundleId: string): Promise<void>;
  /** Connector state from a run in progress; becomes the source's state only when its bundle commits. */
  stageSourceState(bundleId: string, source: string, state: JsonValue): Promise<void>;
  /** Moves a staged state into place (no-op when none was staged). */
  promoteSourceState(bundleId: string, source: string): Promise<void>;
  /** The state saved by the source's last sealed run. */
  readSourceState(source: string): Promise<JsonValue | undefined>;

  registerKey(key: SigningKey, at: Date): Promise<void>;
  listKeys(): Promise<KeyRecord[]>;

  /** Removes a blob (retention); callers write its tombstone first. */
  deleteBlob(sha256: string): Promise<void>;
  /** When an Object Lock on the blob ends; undefined when it is not locked. */
  blobLockedUntil(sha256: string): Promise<Date | undefined>;
  /** A signed record that a blob was deleted on purpose (evidence/retention.ts). */
  writeTombstone(sha256: string, body: Buffer, signature: Buffer): Promise<void>;
  readTombstone(sha256: string): Promise<{ body: Buffer; signature: Buffer } | undefined>;

  /** The derived index (evidence/index.ts); not evidence, never verified, always rebuildable. */
  readIndexCache(): Promise<Buffer | undefined>;
  writeIndexCache(bytes: Buffer): Promise<void>;

  head(): Promise<ChainHead | undefined>;
  sequences(): Promise<number[]>;
  readManifest(sequence: number): Promise<Buffer | undefined>;
  readSignature(digest: string): Promise<Buffer | undefined>;
  findBundle(bundleId: string): Promise<CommittedBundle | undefined>;
  /**
   * Appends a bundle to the chain. `build` receives the current head and returns the manifest bytes and
   * their signature; it is called again if another writer claimed that position first. Idempotent per
   * bundleId: committing an already committed bundle returns the existing one.
   */
  commitBundle(
    bundleId: string,
    build: (head: ChainHead | undefined) => Promise<{ bytes: Buffer; signature: Buffer }>,
  ): Promise<CommittedBundle>;
}
