import type { Readable } from 'node:stream';
import type { JsonValue } from '../../core/json';
import * as chain from '../chain';
import { seqName, seqPattern, type ChainOps } from '../chain';
import { canonicalJson } from '../../core/digest';
import { artifactRecordSchema, type ArtifactRecord } from '../manifest';
import type { Signer } from '../signing';
import type { AlertStateStore } from '../alert-state';
import type {
  BlobRef,
  ChainHead,
  CommittedBundle,
  EvidenceStore,
  KeyRecord,
  StagingWriter,
  StoredTransition,
} from '../store';
import { blobRel, uploadBlob } from './blob-upload';
import type { ObjectStorage } from './storage';

export interface ObjectStoreOptions {
  /** Key prefix inside the bucket or container ("" or "evidence/"). */
  prefix: string;
  /** Artifacts up to this size are hashed in memory and written once; larger ones stream. */
  singlePutMaxBytes?: number | undefined;
}

const defaultSinglePut = 8 * 1024 * 1024;

/**
 * The evidence store on any object storage (S3, Azure Blob, GCS): one layout and one chain algorithm
 * (evidence/chain.ts) for all of them; the services differ only in their ObjectStorage adapter. The chain's
 * exclusive create is the adapter's conditional put.
 */
export class ObjectEvidenceStore implements EvidenceStore, AlertStateStore {
  private readonly prefix: string;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly options: ObjectStoreOptions,
  ) {
    this.prefix = options.prefix && !options.prefix.endsWith('/') ? `${options.prefix}/` : options.prefix;
  }

  get location(): string {
    return `${this.storage.root}${this.prefix}`;
  }

  private key(rel: string): string {
    return `${this.prefix}${rel}`;
  }

  private get(rel: string): Promise<Buffer | undefined> {
    return this.storage.get(this.key(rel));
  }

  private put(rel: string, body: Buffer | string, options: { ifAbsent?: boolean; locked?: boolean } = {}) {
    return this.storage.put(this.key(rel), typeof body === 'string' ? Buffer.from(body) : body, options);
  }

  private async list(relPrefix: string): Promise<string[]> {
    return (await this.storage.list(this.key(relPrefix))).map((k) => k.slice(this.prefix.length)).sort();
  }

  private deleteKeys(rels: string[]): Promise<void> {
    return this.storage.delete(rels.map((r) => this.key(r)));
  }

  putBlob(content: Readable): Promise<BlobRef> {
    const target = { storage: this.storage, key: (rel: string) => this.key(rel) };
    return uploadBlob(target, content, this.options.singlePutMaxBytes ?? defaultSinglePut);
  }

  openBlob(sha256: string): Readable {
    return this.storage.openRead(this.key(blobRel(sha256)));
  }

  async blobSize(sha256: string): Promise<number | undefined> {
    return (await this.storage.head(this.key(blobRel(sha256))))?.size;
  }

  async listBlobs(): Promise<string[]> {
    return (await this.list('blobs/sha256/')).map((k) => k.slice(k.lastIndexOf('/') + 1));
  }

  /**
   * Object storage has no append: staging is a sequence of chunk objects, one per checkpoint. The "offset"
   * a resumed attempt truncates to is the number of chunks that were durably written.
   */
  async openStaging(bundleId: string, source: string, truncateTo: number): Promise<StagingWriter> {
    const dir = `staging/${safeSegment(bundleId)}/${safeSegment(source)}/`;
    const stale = (await this.list(dir)).filter(
      (k) => /\/\d{8}\.jsonl$/.test(k) && Number(k.slice(-14, -6)) >= truncateTo,
    );
    await this.deleteKeys(stale);
    let chunk = truncateTo;
    let pending: string[] = [];
    const flush = async () => {
      if (pending.length === 0) return chunk;
      await this.put(`${dir}${String(chunk).padStart(8, '0')}.jsonl`, pending.join(''));
      pending = [];
      chunk++;
      return chunk;
    };
    return {
      append: async (record) => {
        pending.push(JSON.stringify(record) + '\n');
      },
      checkpoint: flush,
      close: async () => {
        await flush();
      },
    };
  }

  async readStaged(bundleId: string, source: string): Promise<ArtifactRecord[]> {
    const dir = `staging/${safeSegment(bundleId)}/${safeSegment(source)}/`;
    const out: ArtifactRecord[] = [];
    for (const rel of (await this.list(dir)).filter((k) => k.endsWith('.jsonl'))) {
      const text = (await this.get(rel))!.toString('utf8');
      text
        .split('\n')
        .filter((l) => l.length > 0)
        .forEach((l, i) => {
          const parsed = artifactRecordSchema.safeParse(JSON.parse(l));
          if (!parsed.success)
            throw new Error(`${this.location}${rel}:${i + 1}: corrupt staged record: ${parsed.error.message}`);
          out.push(parsed.data);
        });
    }
    return out;
  }

  async removeStaging(bundleId: string): Promise<void> {
    await this.deleteKeys(await this.list(`staging/${safeSegment(bundleId)}/`));
  }

  async stageSourceState(bundleId: string, source: string, state: JsonValue): Promise<void> {
    await this.put(`staging/${safeSegment(bundleId)}/${safeSegment(source)}.state.json`, JSON.stringify(state));
  }

  async promoteSourceState(bundleId: string, source: string): Promise<void> {
    const staged = await this.get(`staging/${safeSegment(bundleId)}/${safeSegment(source)}.state.json`);
    if (staged) await this.put(`state/${safeSegment(source)}.json`, staged);
  }

  async readSourceState(source: string): Promise<JsonValue | undefined> {
    const raw = await this.get(`state/${safeSegment(source)}.json`);
    return raw ? (JSON.parse(raw.toString('utf8')) as JsonValue) : undefined;
  }

  async deleteBlob(sha256: string): Promise<void> {
    await this.deleteKeys([blobRel(sha256)]);
  }

  async blobLockedUntil(sha256: string): Promise<Date | undefined> {
    const until = (await this.storage.head(this.key(blobRel(sha256))))?.lockedUntil;
    return until && until.getTime() > Date.now() ? until : undefined;
  }

  async writeTombstone(sha256: string, body: Buffer, signature: Buffer): Promise<void> {
    await this.put(`tombstones/${sha256}.sig`, signature, { locked: true });
    await this.put(`tombstones/${sha256}.json`, body, { locked: true });
  }

  async readTombstone(sha256: string): Promise<{ body: Buffer; signature: Buffer } | undefined> {
    const body = await this.get(`tombstones/${sha256}.json`);
    const signature = await this.get(`tombstones/${sha256}.sig`);
    return body && signature ? { body, signature } : undefined;
  }

  async readAlertState(): Promise<JsonValue | undefined> {
    const raw = await this.get('alerts/state.json');
    return raw ? (JSON.parse(raw.toString('utf8')) as JsonValue) : undefined;
  }

  async writeAlertState(state: JsonValue): Promise<void> {
    await this.put('alerts/state.json', JSON.stringify(state));
  }

  readIndexCache(): Promise<Buffer | undefined> {
    return this.get('index/evidence-index.v1.ndjson');
  }

  async writeIndexCache(bytes: Buffer): Promise<void> {
    await this.put('index/evidence-index.v1.ndjson', bytes);
  }

  async putTimestampToken(sequence: number, token: Buffer): Promise<void> {
    await this.put(`checkpoints/${seqName(sequence)}.tsr`, token, { locked: true });
  }

  readTimestampToken(sequence: number): Promise<Buffer | undefined> {
    return this.get(`checkpoints/${seqName(sequence)}.tsr`);
  }

  readWitnessState(): Promise<Buffer | undefined> {
    return this.get('witness/state.json');
  }

  async writeWitnessState(bytes: Buffer): Promise<void> {
    await this.put('witness/state.json', bytes);
  }

  readIntegrityState(): Promise<Buffer | undefined> {
    return this.get('integrity/state.json');
  }

  async writeIntegrityState(bytes: Buffer): Promise<void> {
    await this.put('integrity/state.json', bytes);
  }

  /**
   * Never `locked`: the pending log is removed once sealed, so it must stay deletable on a WORM store (the
   * retention goes on the manifest that records the actions). See docs/deploy.md, "Operator actions".
   */
  putOperatorAction(id: string, body: Buffer): Promise<boolean> {
    return this.put(`operator-actions/pending/${safeSegment(id)}.json`, body, { ifAbsent: true });
  }

  async listOperatorActions(): Promise<{ id: string; body: Buffer }[]> {
    const keys = (await this.list('operator-actions/pending/')).filter((k) => k.endsWith('.json'));
    const out: { id: string; body: Buffer }[] = [];
    // A few dozen reads at a time: a log a long pause left behind is read in round trips / 32.
    for (let i = 0; i < keys.length; i += 32) {
      const batch = keys.slice(i, i + 32);
      const bodies = await Promise.all(batch.map((k) => this.get(k)));
      batch.forEach((k, j) => {
        const body = bodies[j];
        if (body) out.push({ id: k.slice(k.lastIndexOf('/') + 1, -5), body });
      });
    }
    return out;
  }

  async removeOperatorActions(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.deleteKeys(ids.map((id) => `operator-actions/pending/${safeSegment(id)}.json`));
  }

  private readonly ops: ChainOps = {
    sequences: () => this.sequences(),
    readManifest: (seq) => this.readManifest(seq),
    putManifestIfAbsent: (seq, bytes) =>
      this.put(`manifests/${seqName(seq)}.json`, bytes, { ifAbsent: true, locked: true }),
    putSignature: async (digest, sig) => {
      await this.put(`signatures/${digest}.sig`, sig, { locked: true });
    },
    readPointer: (id) => this.get(`bundles/${safeSegment(id)}.json`),
    writePointer: async (id, bytes) => {
      await this.put(`bundles/${safeSegment(id)}.json`, bytes);
    },
    readSealIntent: (id) => this.get(`seal-intents/${safeSegment(id)}.json`),
    writeSealIntent: async (id, bytes) => {
      await this.put(`seal-intents/${safeSegment(id)}.json`, bytes);
    },
    readIntentsSince: () => this.get('seal-intents.json'),
    writeIntentsSince: async (bytes) => {
      await this.put('seal-intents.json', bytes);
    },
    readKeyRecords: async () => {
      // Only keys/<keyId>.json: the transition statements under keys/transitions/ are not key records.
      const rels = (await this.list('keys/')).filter((k) => /^keys\/[^/]+\.json$/.test(k));
      return Promise.all(rels.map(async (r) => (await this.get(r))!));
    },
    writeKeyRecord: async (record) => {
      // Key records are rewritten on rotation (validUntil), so they are versioned but not locked.
      await this.put(`keys/${record.keyId}.json`, canonicalJson(record));
      await this.put(`keys/${record.keyId}.pem`, record.publicKeyPem);
    },
    readKeyTransitions: async () => {
      const rels = (await this.list('keys/transitions/')).filter((k) => /^keys\/transitions\/[^/]+\.json$/.test(k));
      return Promise.all(
        rels.map(async (r) => {
          const base = r.slice(0, -'.json'.length);
          return {
            newKeyId: base.slice('keys/transitions/'.length),
            body: (await this.get(r))!,
            signature: await this.get(`${base}.sig`),
            countersignature: await this.get(`${base}.countersig`),
          };
        }),
      );
    },
    writeKeyTransitionIfAbsent: async (t) => {
      // Write-once and locked like a manifest: signatures first, the statement last and exclusively.
      const base = `keys/transitions/${safeSegment(t.newKeyId)}`;
      if (t.signature) await this.put(`${base}.sig`, t.signature, { locked: true });
      if (t.countersignature) await this.put(`${base}.countersig`, t.countersignature, { locked: true });
      return this.put(`${base}.json`, t.body, { ifAbsent: true, locked: true });
    },
    manifestLocation: (seq) => `${this.location}manifests/${seqName(seq)}.json`,
  };

  async sequences(): Promise<number[]> {
    return (await this.list('manifests/'))
      .map((k) => k.slice('manifests/'.length))
      .filter((n) => seqPattern.test(n))
      .map((n) => Number(n.slice(0, -'.json'.length)))
      .sort((a, b) => a - b);
  }

  readManifest(sequence: number): Promise<Buffer | undefined> {
    return this.get(`manifests/${seqName(sequence)}.json`);
  }

  readSignature(digest: string): Promise<Buffer | undefined> {
    return this.get(`signatures/${digest}.sig`);
  }

  head(): Promise<ChainHead | undefined> {
    return chain.chainHead(this.ops);
  }

  findBundle(bundleId: string): Promise<CommittedBundle | undefined> {
    return chain.findBundle(this.ops, bundleId);
  }

  commitBundle(
    bundleId: string,
    build: (head: ChainHead | undefined) => Promise<{ bytes: Buffer; signature: Buffer }>,
  ): Promise<CommittedBundle> {
    return chain.commitBundle(this.ops, bundleId, build);
  }

  registerKey(key: Signer, at: Date): Promise<void> {
    return chain.registerKey(this.ops, key, at);
  }

  /** Signature first, then the body, both create-if-absent and locked like manifests. */
  async putCheckpoint(sequence: number, body: Buffer, signature: Buffer): Promise<boolean> {
    await this.put(`checkpoints/${seqName(sequence)}.sig`, signature, { ifAbsent: true, locked: true });
    return this.put(`checkpoints/${seqName(sequence)}.txt`, body, { ifAbsent: true, locked: true });
  }

  async readCheckpoint(sequence: number): Promise<{ body: Buffer; signature: Buffer } | undefined> {
    const body = await this.get(`checkpoints/${seqName(sequence)}.txt`);
    const signature = await this.get(`checkpoints/${seqName(sequence)}.sig`);
    return body && signature ? { body, signature } : undefined;
  }

  async listCheckpoints(): Promise<number[]> {
    return (await this.list('checkpoints/'))
      .map((k) => k.slice('checkpoints/'.length))
      .filter((n) => /^\d{12}\.txt$/.test(n))
      .map((n) => Number(n.slice(0, -'.txt'.length)))
      .sort((a, b) => a - b);
  }

  listKeys(): Promise<KeyRecord[]> {
    return chain.listKeys(this.ops);
  }

  putKeyRecord(record: KeyRecord): Promise<void> {
    return this.ops.writeKeyRecord(record);
  }

  listKeyTransitions(): Promise<StoredTransition[]> {
    return this.ops.readKeyTransitions();
  }

  writeKeyTransition(transition: StoredTransition): Promise<void> {
    return chain.writeKeyTransition(this.ops, transition);
  }
}

/** Ids go into object keys only after this check, so no id can climb out of its prefix. */
function safeSegment(id: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(id) || id === '.' || id === '..')
    throw new Error(`unsafe identifier for an object key: ${JSON.stringify(id)}`);
  return id;
}
