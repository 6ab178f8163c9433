import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { JsonValue } from '../core/json';
import * as chain from './chain';
import { seqName, seqPattern, type ChainOps } from './chain';
import { canonicalJson } from '../core/digest';
import { asStoreError, publishExclusive, readOptional, tmpName, writeFileAtomic, writeTemp } from './durable-fs';
import { artifactRecordSchema, type ArtifactRecord } from './manifest';
import type { Signer } from './signing';
import type { AlertStateStore } from './alert-state';
import type {
  BlobRef,
  ChainHead,
  CommittedBundle,
  EvidenceStore,
  KeyRecord,
  StagingWriter,
  StoredTransition,
} from './store';

/**
 * Filesystem layout (documented in docs/bundle-format.md):
 *   store.json                      format marker
 *   blobs/sha256/ab/<sha256>        content-addressed evidence bytes
 *   manifests/<sequence>.json       the hash chain, one manifest per bundle, claimed with link(2)
 *   signatures/<digest>.sig         raw ed25519 signature over the manifest bytes with that sha256
 *   keys/<keyId>.json, .pem         public keys and their validity periods (candidates; trust is pinned outside)
 *   keys/transitions/<keyId>.json, .sig, .countersig  signed key transition statements (keys rotate)
 *   bundles/<bundleId>.json         pointer from bundle id to its sequence (a cache; rebuilt by scanning)
 *   seal-intents/<bundleId>.json    written before a bundle's manifest: where a scan for it starts (seal-intent.ts)
 *   seal-intents.json               first sequence sealed with intents (older bundles may lack one)
 *   staging/<bundleId>/<source>.jsonl  artifact records of a sweep still in progress
 *   state/<source>.json             connector state (ETags, cursors) of the source's last sealed run
 *   index/                          derived index cache (rebuildable from manifests; not evidence)
 *   alerts/state.json               the staleness monitor's alert state (not evidence)
 *   tombstones/<sha256>.json, .sig  signed records of blobs deleted by retention (prune)
 *   checkpoints/<sequence>.txt, .sig  signed checkpoints of the chain head (evidence/checkpoint.ts)
 *   checkpoints/<sequence>.tsr      RFC 3161 time-stamp reply over that checkpoint (evidence/witness/tsa.ts)
 *   witness/state.json              what the last witnessing run left pending (for status; not evidence)
 *   integrity/state.json            what the last integrity verification found (for monitor; not evidence)
 *   operator-actions/pending/<id>.json  console actions the next sealed bundle records (operator-actions.ts)
 *   tmp/                            temp files; never read
 */
const storeFormat = 'evidence-hub/store@1';

export class FilesystemStore implements EvidenceStore, AlertStateStore {
  private constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  static async open(root: string): Promise<FilesystemStore> {
    const abs = path.resolve(root);
    try {
      for (const dir of ['blobs/sha256', 'manifests', 'signatures', 'keys', 'bundles', 'staging', 'state', 'tmp']) {
        await mkdir(path.join(abs, dir), { recursive: true });
      }
      await writeFile(path.join(abs, 'store.json'), canonicalJson({ format: storeFormat }), { flag: 'wx' }).catch(
        (err) => {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        },
      );
    } catch (err) {
      throw asStoreError(err, abs);
    }
    return new FilesystemStore(abs);
  }

  /** Opens an existing store read-only-style, failing clearly when `root` is not a store. */
  static async openExisting(root: string): Promise<FilesystemStore> {
    const abs = path.resolve(root);
    let marker: unknown;
    try {
      marker = JSON.parse(await readFile(path.join(abs, 'store.json'), 'utf8'));
    } catch {
      throw new Error(`${abs} is not an evidence store (no store.json); pass the folder a sweep wrote to`);
    }
    if ((marker as { format?: unknown }).format !== storeFormat)
      throw new Error(`${abs}/store.json: unsupported store format`);
    return new FilesystemStore(abs);
  }

  private get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  blobPath(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.root, 'blobs', 'sha256', sha256.slice(0, 2), sha256);
  }

  async putBlob(content: Readable): Promise<BlobRef> {
    const tmp = tmpName(this.tmpDir);
    const hash = createHash('sha256');
    let size = 0;
    try {
      const fh = await open(tmp, 'wx', 0o444);
      try {
        // Streamed chunk by chunk: a multi-gigabyte artifact never sits in memory.
        for await (const chunk of content) {
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
          hash.update(buf);
          size += buf.length;
          await fh.write(buf);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const sha256 = hash.digest('hex');
      const created = await publishExclusive(tmp, this.blobPath(sha256));
      return { sha256, size, created };
    } catch (err) {
      await rm(tmp, { force: true });
      throw asStoreError(err, this.root);
    }
  }

  openBlob(sha256: string): Readable {
    return createReadStream(this.blobPath(sha256));
  }

  async blobSize(sha256: string): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(sha256))).size;
    } catch {
      return undefined;
    }
  }

  async listBlobs(): Promise<string[]> {
    const out: string[] = [];
    const base = path.join(this.root, 'blobs', 'sha256');
    // No blob folder is no blobs (an emptied pack or store): verify then reports the chain, not a crash.
    const prefixes = await readdir(base).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const prefix of prefixes) {
      for (const name of await readdir(path.join(base, prefix))) out.push(name);
    }
    return out.sort();
  }

  private stagingPath(bundleId: string, source: string): string {
    return path.join(this.root, 'staging', safeSegment(bundleId), `${safeSegment(source)}.jsonl`);
  }

  async openStaging(bundleId: string, source: string, truncateTo: number): Promise<StagingWriter> {
    const file = this.stagingPath(bundleId, source);
    // A retried attempt resumes at its last checkpoint: records after it may reference blobs that were
    // never fsynced, so they are cut off and collected again.
    const fh = await this.guard(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const handle = await open(file, truncateTo > 0 ? 'r+' : 'w').catch(() => open(file, 'w'));
      await handle.truncate(truncateTo);
      return handle;
    });
    let offset = truncateTo;
    return {
      append: (record) =>
        this.guard(async () => {
          const line = Buffer.from(JSON.stringify(record) + '\n');
          await fh.write(line, 0, line.length, offset);
          offset += line.length;
        }),
      // fsync reports a full disk too (delayed allocation): a failure here is as final as a failed write.
      checkpoint: () =>
        this.guard(async () => {
          await fh.sync();
          return offset;
        }),
      close: () =>
        this.guard(async () => {
          try {
            await fh.sync();
          } finally {
            await fh.close();
          }
        }),
    };
  }

  async readStaged(bundleId: string, source: string): Promise<ArtifactRecord[]> {
    const file = this.stagingPath(bundleId, source);
    const text = await readFile(file, 'utf8');
    return text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l, i) => {
        const parsed = artifactRecordSchema.safeParse(JSON.parse(l));
        if (!parsed.success) throw new Error(`${file}:${i + 1}: corrupt staged record: ${parsed.error.message}`);
        return parsed.data;
      });
  }

  async removeStaging(bundleId: string): Promise<void> {
    await rm(path.join(this.root, 'staging', safeSegment(bundleId)), { recursive: true, force: true });
  }

  private statePath(source: string): string {
    return path.join(this.root, 'state', `${safeSegment(source)}.json`);
  }

  stageSourceState(bundleId: string, source: string, state: JsonValue): Promise<void> {
    return this.guard(() =>
      writeFileAtomic(
        this.tmpDir,
        path.join(this.root, 'staging', safeSegment(bundleId), `${safeSegment(source)}.state.json`),
        JSON.stringify(state),
      ),
    );
  }

  async promoteSourceState(bundleId: string, source: string): Promise<void> {
    const staged = path.join(this.root, 'staging', safeSegment(bundleId), `${safeSegment(source)}.state.json`);
    let text: string;
    try {
      text = await readFile(staged, 'utf8');
    } catch {
      return;
    }
    await this.guard(() => writeFileAtomic(this.tmpDir, this.statePath(source), text));
  }

  async readSourceState(source: string): Promise<JsonValue | undefined> {
    try {
      return JSON.parse(await readFile(this.statePath(source), 'utf8')) as JsonValue;
    } catch {
      return undefined;
    }
  }

  async deleteBlob(sha256: string): Promise<void> {
    await rm(this.blobPath(sha256), { force: true });
  }

  async blobLockedUntil(): Promise<Date | undefined> {
    return undefined; // a filesystem has no retention lock
  }

  async writeTombstone(sha256: string, body: Buffer, signature: Buffer): Promise<void> {
    await this.guard(async () => {
      await writeFileAtomic(this.tmpDir, path.join(this.root, 'tombstones', `${sha256}.sig`), signature);
      await writeFileAtomic(this.tmpDir, path.join(this.root, 'tombstones', `${sha256}.json`), body);
    });
  }

  async readTombstone(sha256: string): Promise<{ body: Buffer; signature: Buffer } | undefined> {
    const body = await readOptional(path.join(this.root, 'tombstones', `${sha256}.json`));
    const signature = await readOptional(path.join(this.root, 'tombstones', `${sha256}.sig`));
    return body && signature ? { body, signature } : undefined;
  }

  async readAlertState(): Promise<JsonValue | undefined> {
    const raw = await readOptional(path.join(this.root, 'alerts', 'state.json'));
    return raw ? (JSON.parse(raw.toString('utf8')) as JsonValue) : undefined;
  }

  writeAlertState(state: JsonValue): Promise<void> {
    return this.guard(() =>
      writeFileAtomic(this.tmpDir, path.join(this.root, 'alerts', 'state.json'), JSON.stringify(state)),
    );
  }

  readIndexCache(): Promise<Buffer | undefined> {
    return readOptional(path.join(this.root, 'index', 'evidence-index.v1.ndjson'));
  }

  writeIndexCache(bytes: Buffer): Promise<void> {
    return this.guard(() =>
      writeFileAtomic(this.tmpDir, path.join(this.root, 'index', 'evidence-index.v1.ndjson'), bytes),
    );
  }

  putTimestampToken(sequence: number, token: Buffer): Promise<void> {
    return this.guard(() =>
      writeFileAtomic(this.tmpDir, path.join(this.root, 'checkpoints', `${seqName(sequence)}.tsr`), token),
    );
  }

  readTimestampToken(sequence: number): Promise<Buffer | undefined> {
    return readOptional(path.join(this.root, 'checkpoints', `${seqName(sequence)}.tsr`));
  }

  readWitnessState(): Promise<Buffer | undefined> {
    return readOptional(path.join(this.root, 'witness', 'state.json'));
  }

  writeWitnessState(bytes: Buffer): Promise<void> {
    return this.guard(() => writeFileAtomic(this.tmpDir, path.join(this.root, 'witness', 'state.json'), bytes));
  }

  readIntegrityState(): Promise<Buffer | undefined> {
    return readOptional(path.join(this.root, 'integrity', 'state.json'));
  }

  writeIntegrityState(bytes: Buffer): Promise<void> {
    return this.guard(() => writeFileAtomic(this.tmpDir, path.join(this.root, 'integrity', 'state.json'), bytes));
  }

  private get actionsDir(): string {
    return path.join(this.root, 'operator-actions', 'pending');
  }

  putOperatorAction(id: string, body: Buffer): Promise<boolean> {
    // Exclusive like a manifest: a logged action is never replaced.
    const target = path.join(this.actionsDir, `${safeSegment(id)}.json`);
    return this.guard(async () => publishExclusive(await writeTemp(this.tmpDir, body), target));
  }

  async listOperatorActions(): Promise<{ id: string; body: Buffer }[]> {
    const names = await readdir(this.actionsDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const ids = names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -5))
      .sort();
    return Promise.all(ids.map(async (id) => ({ id, body: await readFile(path.join(this.actionsDir, `${id}.json`)) })));
  }

  async removeOperatorActions(ids: readonly string[]): Promise<void> {
    for (const id of ids) await rm(path.join(this.actionsDir, `${safeSegment(id)}.json`), { force: true });
  }

  /** The primitives the shared chain logic (evidence/chain.ts) runs on. */
  private readonly ops: ChainOps = {
    sequences: () => this.sequences(),
    readManifest: (seq) => this.readManifest(seq),
    putManifestIfAbsent: async (seq, bytes) =>
      publishExclusive(await writeTemp(this.tmpDir, bytes), this.manifestPath(seq)),
    putSignature: (digest, sig) => writeFileAtomic(this.tmpDir, this.signaturePath(digest), sig),
    readPointer: (id) => readOptional(path.join(this.root, 'bundles', `${safeSegment(id)}.json`)),
    writePointer: (id, bytes) =>
      writeFileAtomic(this.tmpDir, path.join(this.root, 'bundles', `${safeSegment(id)}.json`), bytes),
    readSealIntent: (id) => readOptional(path.join(this.root, 'seal-intents', `${safeSegment(id)}.json`)),
    writeSealIntent: (id, bytes) =>
      writeFileAtomic(this.tmpDir, path.join(this.root, 'seal-intents', `${safeSegment(id)}.json`), bytes),
    readIntentsSince: () => readOptional(path.join(this.root, 'seal-intents.json')),
    writeIntentsSince: (bytes) => writeFileAtomic(this.tmpDir, path.join(this.root, 'seal-intents.json'), bytes),
    readKeyRecords: async () => {
      const dir = path.join(this.root, 'keys');
      const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
      return Promise.all(names.map((n) => readFile(path.join(dir, n))));
    },
    writeKeyRecord: async (record) => {
      await writeFileAtomic(this.tmpDir, path.join(this.root, 'keys', `${record.keyId}.json`), canonicalJson(record));
      await writeFileAtomic(this.tmpDir, path.join(this.root, 'keys', `${record.keyId}.pem`), record.publicKeyPem);
    },
    readKeyTransitions: async () => {
      const dir = path.join(this.root, 'keys', 'transitions');
      let names: string[];
      try {
        names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      return Promise.all(
        names.map(async (n) => {
          const base = path.join(dir, n.slice(0, -'.json'.length));
          return {
            newKeyId: n.slice(0, -'.json'.length),
            body: await readFile(`${base}.json`),
            signature: await readOptional(`${base}.sig`),
            countersignature: await readOptional(`${base}.countersig`),
          };
        }),
      );
    },
    writeKeyTransitionIfAbsent: async (t) => {
      const dir = path.join(this.root, 'keys', 'transitions');
      await mkdir(dir, { recursive: true });
      const base = path.join(dir, safeSegment(t.newKeyId));
      // Signatures first, the statement last and exclusively (like a manifest): once it is visible it is complete.
      if (t.signature) await writeFileAtomic(this.tmpDir, `${base}.sig`, t.signature);
      if (t.countersignature) await writeFileAtomic(this.tmpDir, `${base}.countersig`, t.countersignature);
      return publishExclusive(await writeTemp(this.tmpDir, t.body), `${base}.json`);
    },
    manifestLocation: (seq) => this.manifestPath(seq),
  };

  registerKey(key: Signer, at: Date): Promise<void> {
    return this.guard(() => chain.registerKey(this.ops, key, at));
  }

  listKeys(): Promise<KeyRecord[]> {
    return chain.listKeys(this.ops);
  }

  putKeyRecord(record: KeyRecord): Promise<void> {
    return this.guard(() => this.ops.writeKeyRecord(record));
  }

  listKeyTransitions(): Promise<StoredTransition[]> {
    return this.ops.readKeyTransitions();
  }

  writeKeyTransition(transition: StoredTransition): Promise<void> {
    return this.guard(() => chain.writeKeyTransition(this.ops, transition));
  }

  manifestPath(sequence: number): string {
    return path.join(this.root, 'manifests', `${seqName(sequence)}.json`);
  }

  signaturePath(digest: string): string {
    return path.join(this.root, 'signatures', `${digest}.sig`);
  }

  async sequences(): Promise<number[]> {
    const names = await readdir(path.join(this.root, 'manifests'));
    return names
      .filter((n) => seqPattern.test(n))
      .map((n) => Number(n.slice(0, -'.json'.length)))
      .sort((a, b) => a - b);
  }

  head(): Promise<ChainHead | undefined> {
    return chain.chainHead(this.ops);
  }

  readManifest(sequence: number): Promise<Buffer | undefined> {
    return readOptional(this.manifestPath(sequence));
  }

  readSignature(digest: string): Promise<Buffer | undefined> {
    return readOptional(this.signaturePath(digest));
  }

  findBundle(bundleId: string): Promise<CommittedBundle | undefined> {
    return chain.findBundle(this.ops, bundleId);
  }

  commitBundle(
    bundleId: string,
    build: (head: ChainHead | undefined) => Promise<{ bytes: Buffer; signature: Buffer }>,
  ): Promise<CommittedBundle> {
    return this.guard(() => chain.commitBundle(this.ops, bundleId, build));
  }

  private checkpointPath(sequence: number, ext: 'txt' | 'sig'): string {
    return path.join(this.root, 'checkpoints', `${seqName(sequence)}.${ext}`);
  }

  /** Signature first, then the body, each with link(2): a visible body always has its signature. */
  putCheckpoint(sequence: number, body: Buffer, signature: Buffer): Promise<boolean> {
    return this.guard(async () => {
      await publishExclusive(await writeTemp(this.tmpDir, signature), this.checkpointPath(sequence, 'sig'));
      return publishExclusive(await writeTemp(this.tmpDir, body), this.checkpointPath(sequence, 'txt'));
    });
  }

  async readCheckpoint(sequence: number): Promise<{ body: Buffer; signature: Buffer } | undefined> {
    const body = await readOptional(this.checkpointPath(sequence, 'txt'));
    const signature = await readOptional(this.checkpointPath(sequence, 'sig'));
    return body && signature ? { body, signature } : undefined;
  }

  async listCheckpoints(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(path.join(this.root, 'checkpoints'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // a store from before checkpoints
      throw err;
    }
    return names
      .filter((n) => /^\d{12}\.txt$/.test(n))
      .map((n) => Number(n.slice(0, -'.txt'.length)))
      .sort((a, b) => a - b);
  }

  /** Disk-full and quota errors become a clear, non-retryable StoreFullError. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw asStoreError(err, this.root);
    }
  }
}

/** Ids go into file names only after this check, so no id can climb out of its folder. */
function safeSegment(id: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(id) || id === '.' || id === '..')
    throw new Error(`unsafe identifier for a file name: ${JSON.stringify(id)}`);
  return id;
}
