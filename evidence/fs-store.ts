import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { JsonValue } from '../connectors/types';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './digest';
import { asStoreError, publishExclusive, tmpName, writeFileAtomic, writeTemp } from './durable-fs';
import { artifactRecordSchema, manifestSchema, type ArtifactRecord } from './manifest';
import type { SigningKey } from './signing';
import type { BlobRef, ChainHead, CommittedBundle, EvidenceStore, KeyRecord, StagingWriter } from './store';

/**
 * Filesystem layout (documented in docs/bundle-format.md):
 *   store.json                      format marker
 *   blobs/sha256/ab/<sha256>        content-addressed evidence bytes
 *   manifests/<sequence>.json       the hash chain, one manifest per bundle, claimed with link(2)
 *   signatures/<digest>.sig         raw ed25519 signature over the manifest bytes with that sha256
 *   keys/<keyId>.json, .pem         public keys and their validity periods
 *   bundles/<bundleId>.json         pointer from bundle id to its sequence (a cache; rebuilt by scanning)
 *   staging/<bundleId>/<source>.jsonl  artifact records of a sweep still in progress
 *   state/<source>.json             connector state (ETags, cursors) of the source's last sealed run
 *   tmp/                            temp files; never read
 */
const storeFormat = 'evidence-hub/store@1';
const seqWidth = 12;
/** How far back from the head a retried commit looks for its own bundle when the pointer is missing. */
const findScanDepth = 256;

const keyRecordSchema = z.strictObject({
  keyId: z.string(),
  algorithm: z.literal('ed25519'),
  publicKeyPem: z.string(),
  validFrom: z.string(),
  validUntil: z.string().optional(),
});

const pointerSchema = z.strictObject({ bundleId: z.string(), sequence: z.number().int().positive(), digest: z.string() });

export class FilesystemStore implements EvidenceStore {
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
      await writeFile(path.join(abs, 'store.json'), canonicalJson({ format: storeFormat }), { flag: 'wx' }).catch((err) => {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      });
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
    if ((marker as { format?: unknown }).format !== storeFormat) throw new Error(`${abs}/store.json: unsupported store format`);
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
    for (const prefix of await readdir(base)) {
      for (const name of await readdir(path.join(base, prefix))) out.push(name);
    }
    return out.sort();
  }

  private stagingPath(bundleId: string, source: string): string {
    return path.join(this.root, 'staging', safeSegment(bundleId), `${safeSegment(source)}.jsonl`);
  }

  async openStaging(bundleId: string, source: string, truncateTo: number): Promise<StagingWriter> {
    const file = this.stagingPath(bundleId, source);
    await mkdir(path.dirname(file), { recursive: true });
    // A retried attempt resumes at its last checkpoint: records after it may reference blobs that were
    // never fsynced, so they are cut off and collected again.
    const fh = await open(file, truncateTo > 0 ? 'r+' : 'w').catch(() => open(file, 'w'));
    await fh.truncate(truncateTo);
    let offset = truncateTo;
    return {
      append: async (record) => {
        const line = Buffer.from(JSON.stringify(record) + '\n');
        try {
          await fh.write(line, 0, line.length, offset);
        } catch (err) {
          throw asStoreError(err, this.root);
        }
        offset += line.length;
      },
      checkpoint: async () => {
        await fh.sync();
        return offset;
      },
      close: async () => {
        await fh.sync();
        await fh.close();
      },
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

  async stageSourceState(bundleId: string, source: string, state: JsonValue): Promise<void> {
    await writeFileAtomic(this.tmpDir, path.join(this.root, 'staging', safeSegment(bundleId), `${safeSegment(source)}.state.json`), JSON.stringify(state));
  }

  async promoteSourceState(bundleId: string, source: string): Promise<void> {
    const staged = path.join(this.root, 'staging', safeSegment(bundleId), `${safeSegment(source)}.state.json`);
    let text: string;
    try {
      text = await readFile(staged, 'utf8');
    } catch {
      return;
    }
    await writeFileAtomic(this.tmpDir, this.statePath(source), text);
  }

  async readSourceState(source: string): Promise<JsonValue | undefined> {
    try {
      return JSON.parse(await readFile(this.statePath(source), 'utf8')) as JsonValue;
    } catch {
      return undefined;
    }
  }

  async registerKey(key: SigningKey, at: Date): Promise<void> {
    const existing = await this.listKeys();
    if (existing.some((k) => k.keyId === key.keyId && k.validUntil === undefined)) return;
    // Rotation: the key that was current until now stops being valid for new signatures.
    for (const old of existing.filter((k) => k.validUntil === undefined && k.keyId !== key.keyId)) {
      await this.writeKey({ ...old, validUntil: at.toISOString() });
    }
    if (!existing.some((k) => k.keyId === key.keyId)) {
      await this.writeKey({ keyId: key.keyId, algorithm: 'ed25519', publicKeyPem: key.publicKeyPem, validFrom: at.toISOString() });
    }
  }

  private async writeKey(record: KeyRecord): Promise<void> {
    await writeFileAtomic(this.tmpDir, path.join(this.root, 'keys', `${record.keyId}.json`), canonicalJson(record));
    await writeFileAtomic(this.tmpDir, path.join(this.root, 'keys', `${record.keyId}.pem`), record.publicKeyPem);
  }

  async listKeys(): Promise<KeyRecord[]> {
    const dir = path.join(this.root, 'keys');
    const out: KeyRecord[] = [];
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.json')).sort()) {
      out.push(keyRecordSchema.parse(JSON.parse(await readFile(path.join(dir, name), 'utf8'))));
    }
    return out;
  }

  manifestPath(sequence: number): string {
    return path.join(this.root, 'manifests', `${String(sequence).padStart(seqWidth, '0')}.json`);
  }

  signaturePath(digest: string): string {
    return path.join(this.root, 'signatures', `${digest}.sig`);
  }

  async sequences(): Promise<number[]> {
    const names = await readdir(path.join(this.root, 'manifests'));
    return names
      .filter((n) => new RegExp(`^\\d{${seqWidth}}\\.json$`).test(n))
      .map((n) => Number(n.slice(0, seqWidth)))
      .sort((a, b) => a - b);
  }

  async head(): Promise<ChainHead | undefined> {
    const seqs = await this.sequences();
    const last = seqs.at(-1);
    if (last === undefined) return undefined;
    const bytes = await readFile(this.manifestPath(last));
    return { sequence: last, digest: sha256Hex(bytes) };
  }

  async readManifest(sequence: number): Promise<Buffer | undefined> {
    try {
      return await readFile(this.manifestPath(sequence));
    } catch {
      return undefined;
    }
  }

  async readSignature(digest: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.signaturePath(digest));
    } catch {
      return undefined;
    }
  }

  async findBundle(bundleId: string): Promise<CommittedBundle | undefined> {
    const pointerFile = path.join(this.root, 'bundles', `${safeSegment(bundleId)}.json`);
    try {
      const pointer = pointerSchema.parse(JSON.parse(await readFile(pointerFile, 'utf8')));
      const bytes = await this.readManifest(pointer.sequence);
      if (bytes && sha256Hex(bytes) === pointer.digest) return { ...pointer, location: this.manifestPath(pointer.sequence) };
    } catch {
      // Missing or stale pointer: fall back to scanning the newest manifests.
    }
    const seqs = await this.sequences();
    for (const seq of seqs.slice(-findScanDepth).reverse()) {
      const bytes = await this.readManifest(seq);
      if (!bytes) continue;
      const parsed = manifestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
      if (parsed.success && parsed.data.bundleId === bundleId) {
        const found = { bundleId, sequence: seq, digest: sha256Hex(bytes) };
        await writeFileAtomic(this.tmpDir, pointerFile, canonicalJson(found));
        return { ...found, location: this.manifestPath(seq) };
      }
    }
    return undefined;
  }

  async commitBundle(
    bundleId: string,
    build: (head: ChainHead | undefined) => Promise<{ bytes: Buffer; signature: Buffer }>,
  ): Promise<CommittedBundle> {
    const existing = await this.findBundle(bundleId);
    if (existing) return existing;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const head = await this.head();
      const { bytes, signature } = await build(head);
      const sequence = (head?.sequence ?? 0) + 1;
      const digest = sha256Hex(bytes);
      try {
        // The signature goes first, named by the manifest digest: once the manifest is visible it is
        // complete and verifiable. A writer that loses the race leaves only an unreferenced .sig.
        await writeFileAtomic(this.tmpDir, this.signaturePath(digest), signature);
        const tmp = await writeTemp(this.tmpDir, bytes);
        if (await publishExclusive(tmp, this.manifestPath(sequence))) {
          const pointer = { bundleId, sequence, digest };
          await writeFileAtomic(this.tmpDir, path.join(this.root, 'bundles', `${safeSegment(bundleId)}.json`), canonicalJson(pointer));
          return { ...pointer, location: this.manifestPath(sequence) };
        }
      } catch (err) {
        throw asStoreError(err, this.root);
      }
      // Another writer took this sequence number: rebuild on top of its manifest.
    }
    throw new Error(`could not append bundle ${bundleId} to ${this.root}: too much contention`);
  }
}

/** Ids go into file names only after this check, so no id can climb out of its folder. */
function safeSegment(id: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(id) || id === '.' || id === '..') throw new Error(`unsafe identifier for a file name: ${JSON.stringify(id)}`);
  return id;
}

