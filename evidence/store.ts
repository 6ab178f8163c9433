import type { Readable } from 'node:stream';
import type { JsonValue } from '../core/json';
import type { ArtifactRecord } from './manifest';
import type { Signer } from './signing';

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

/**
 * A key transition statement as stored: `keys/transitions/<newKeyId>.json` (canonical JSON), `.sig` (the
 * old key's signature over the .json bytes) and optionally `.countersig` (the new key's).
 */
export interface StoredTransition {
  newKeyId: string;
  body: Buffer;
  signature?: Buffer | undefined;
  countersignature?: Buffer | undefined;
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

  /**
   * Adds the key's record when the store has no current key yet (`evidence-hub keys init`); a no-op when
   * it is the current key already. Never rotates: a different current key is an error (SigningKeyError).
   */
  registerKey(key: Signer, at: Date): Promise<void>;
  listKeys(): Promise<KeyRecord[]>;
  /** Writes a key record as given (`keys rotate` closes the old key and adds the new one); never sealing. */
  putKeyRecord(record: KeyRecord): Promise<void>;
  /** Key transition statements (evidence/trust/transition.ts) under keys/transitions/, by new keyId. */
  listKeyTransitions(): Promise<StoredTransition[]>;
  /** Writes a transition statement; refused when one for that new key already exists. */
  writeKeyTransition(transition: StoredTransition): Promise<void>;

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

  /**
   * Signed checkpoints (evidence/checkpoint.ts): `checkpoints/<seq>.txt` and `.sig`. Create-if-absent:
   * false when a checkpoint for that sequence already exists (it is never overwritten).
   */
  putCheckpoint(sequence: number, body: Buffer, signature: Buffer): Promise<boolean>;
  readCheckpoint(sequence: number): Promise<{ body: Buffer; signature: Buffer } | undefined>;
  /** Sequence numbers that have a checkpoint body, ascending. */
  listCheckpoints(): Promise<number[]>;

  /**
   * Witnesses (evidence/witness/): the RFC 3161 reply over checkpoint `sequence`, stored whole as
   * `checkpoints/<seq>.tsr`. Written once it checked out; a later token for the same checkpoint replaces it.
   */
  putTimestampToken(sequence: number, token: Buffer): Promise<void>;
  readTimestampToken(sequence: number): Promise<Buffer | undefined>;
  /** What the last witnessing run left pending, for `status` (`witness/state.json`; not evidence). */
  readWitnessState(): Promise<Buffer | undefined>;
  writeWitnessState(bytes: Buffer): Promise<void>;
  /** What the last integrity verification found (`integrity/state.json`; evidence/integrity.ts; not evidence). */
  readIntegrityState(): Promise<Buffer | undefined>;
  writeIntegrityState(bytes: Buffer): Promise<void>;

  /**
   * The operator-action log (evidence/operator-actions.ts): `operator-actions/pending/<id>.json`, each
   * written once (never overwritten), listed oldest first, removed once a sealed bundle records them.
   * `putOperatorAction` is an exclusive create: it returns false, writing nothing, when the id exists.
   */
  putOperatorAction(id: string, body: Buffer): Promise<boolean>;
  listOperatorActions(): Promise<{ id: string; body: Buffer }[]>;
  removeOperatorActions(ids: readonly string[]): Promise<void>;
}
