import { execFile } from 'node:child_process';
import { copyFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { DeleteObjectCommand, ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { FilesystemStore } from '../../evidence/fs-store';
import type { Signer } from '../../evidence/signing';
import { S3LockWitness, WitnessConflictError } from '../../evidence/witness/s3-lock';
import { witnessPending } from '../../evidence/witness/run';
import { verifyWitnesses } from '../../evidence/witness/verify-witness';
import { loadHub } from '../../worker/hub';
import { useMinio } from '../support/minio-suite';
import { runCli } from '../support/processes';
import { newKey, stagedRecord, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';
import { runPackScript, scriptOk } from '../support/pack-script';
import { exportAuditPack } from '../../evidence/export';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { startTsa, type TsaServer } from '../support/tsa-server';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { mappingVocabulary } from '../../connectors';

const run = promisify(execFile);
const silent = pino({ level: 'silent' });
const server = useMinio();
let tsa: TsaServer;
let buckets = 0;

beforeAll(async () => {
  tsa = await startTsa();
});
afterAll(async () => {
  await tsa?.stop();
});

const mappings = () => loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
const at = (day: number) => new Date(Date.UTC(2026, 5, day));

async function lockedWitness(retainDays = 1): Promise<S3LockWitness> {
  const bucket = `witness-${process.pid}-${++buckets}`;
  await server().createBucket(bucket, { objectLock: true });
  return new S3LockWitness({ client: server().client, bucket, prefix: 'w/', retainDays });
}

/** A filesystem store with its key registered and `n` sealed bundles (each with its checkpoint). */
async function storeWith(n: number): Promise<{ store: FilesystemStore; key: Signer }> {
  const store = await FilesystemStore.open(await tempDir());
  const key = newKey();
  await store.registerKey(key, at(1));
  for (let i = 1; i <= n; i++)
    await writeBundle(store, key, await mappings(), `b${i}`, { [`p${i}.md`]: `v${i}` }, at(i));
  return { store, key };
}

const cpFile = (store: FilesystemStore, seq: number, ext: string) =>
  path.join(store.root, 'checkpoints', `${String(seq).padStart(12, '0')}.${ext}`);

describe('RFC 3161 witness (real openssl TSA on loopback)', () => {
  it('stores a .tsr beside each checkpoint that `openssl ts -verify` accepts', async () => {
    const { store } = await storeWith(2);
    const state = await witnessPending(store, { tsa: { url: tsa.url, timeoutMs: 20_000 } }, silent);
    expect(state?.tsa).toMatchObject({ pending: [], doneThrough: 2, newestWitnessed: 2 });
    for (const seq of [1, 2]) {
      const { stdout } = await run('openssl', [
        'ts',
        '-verify',
        '-data',
        cpFile(store, seq, 'txt'),
        '-in',
        cpFile(store, seq, 'tsr'),
        '-CAfile',
        tsa.caFile,
      ]);
      expect(stdout).toContain('Verification: OK');
    }
    const problems = await verifyWitnesses(store, { acceptable: await store.listKeys(), tsa: { caFile: tsa.caFile } });
    expect(problems).toEqual([]);
  });

  it('a token over another digest is timestamp-invalid (with and without the CA)', async () => {
    const { store } = await storeWith(2);
    await witnessPending(store, { tsa: { url: tsa.url, timeoutMs: 20_000 } }, silent);
    await copyFile(cpFile(store, 1, 'tsr'), cpFile(store, 2, 'tsr'));
    for (const caFile of [undefined, tsa.caFile]) {
      const problems = await verifyWitnesses(store, { acceptable: await store.listKeys(), tsa: { caFile } });
      expect(problems.map((p) => [p.code, p.sequence])).toEqual([['timestamp-invalid', 2]]);
    }
    // The auditor's own command agrees.
    await expect(
      run('openssl', [
        'ts',
        '-verify',
        '-data',
        cpFile(store, 2, 'txt'),
        '-in',
        cpFile(store, 2, 'tsr'),
        '-CAfile',
        tsa.caFile,
      ]),
    ).rejects.toThrow();
  });

  it('a token over another digest: `verify --witness tsa` (text and --json) and the pack script name timestamp-invalid', async () => {
    const { store, key } = await storeWith(3);
    await witnessPending(store, { tsa: { url: tsa.url, timeoutMs: 20_000 } }, silent);
    const fp = formatFingerprint(fingerprintOf(key.publicKeyPem));
    const out = path.join(await tempDir(), 'june.tar.gz');
    await exportAuditPack(
      { store, mappings: await mappings(), notApplicable: [] },
      { from: at(1), to: at(30), out, key },
    );
    await copyFile(cpFile(store, 1, 'tsr'), cpFile(store, 3, 'tsr'));
    const args = ['verify', store.root, '--trust', fp, '--witness', 'tsa', '--tsa-ca', tsa.caFile];
    const text = await runCli(args);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/timestamp-invalid: .*#3/);
    const json = await runCli([...args, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).problems.map((p: { code: string }) => p.code)).toEqual(['timestamp-invalid']);

    // The same swap inside an exported pack, checked by the pack's own script with the TSA's CA.
    const x = await tempDir();
    await run('tar', ['xzf', out, '-C', x]);
    const root = path.join(x, 'june');
    const seqFile = (n: number) => path.join(root, 'checkpoints', `${String(n).padStart(12, '0')}.tsr`);
    expect((await runPackScript(root, fp, tsa.caFile)).stdout).toMatch(scriptOk);
    await copyFile(seqFile(1), seqFile(3));
    await run(
      'sh',
      ['-c', "find . -type f ! -name 'SHA256SUMS*' | sed 's|^./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS"],
      {
        cwd: root,
      },
    );
    const script = await runPackScript(root, fp, tsa.caFile);
    expect(script.stdout).toMatch(/^timestamp-invalid: checkpoints\/000000000003\.tsr does not verify/m);
    expect(script.code).toBe(1);
  });

  it('a checkpoint without its token is witness-missing, a warning', async () => {
    const { store } = await storeWith(1);
    const problems = await verifyWitnesses(store, { acceptable: await store.listKeys(), tsa: {} });
    expect(problems).toMatchObject([{ code: 'witness-missing', level: 'warning', sequence: 1 }]);
  });
});

describe('S3 Object Lock witness (MinIO, compliance mode)', () => {
  it('is write-once: a second, different put for a sequence is refused and the first stays locked', async () => {
    const witness = await lockedWitness();
    const { store } = await storeWith(1);
    const cp = (await store.readCheckpoint(1))!;
    const storeId = /^store ([0-9a-f]{64})$/m.exec(cp.body.toString())![1]!;
    expect(await witness.put({ storeId, sequence: 1, ...cp })).toBe('written');
    expect(await witness.put({ storeId, sequence: 1, ...cp })).toBe('exists');
    const forged = Buffer.from(cp.body.toString().replace(/^time .*$/m, 'time 2030-01-01T00:00:00.000Z'));
    await expect(witness.put({ storeId, sequence: 1, body: forged, signature: cp.signature })).rejects.toThrow(
      WitnessConflictError,
    );
    const bucket = witness.location.slice('s3://'.length).split('/')[0]!;
    const key = `w/checkpoints/${storeId}/000000000001.txt`;
    // Plain S3 calls with the bucket owner's credentials cannot rewrite or delete it either.
    await expect(
      server().client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: forged, IfNoneMatch: '*' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    const versions = await server().client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    await expect(
      server().client.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versions.Versions![0]!.VersionId! }),
      ),
    ).rejects.toThrow();
    expect((await witness.newest(storeId))!.body.equals(cp.body)).toBe(true);
  });

  it('truncating the store after a witnessed checkpoint is `truncated`, even with its checkpoints gone', async () => {
    const witness = await lockedWitness();
    const { store } = await storeWith(3);
    await witnessPending(store, { s3: witness }, silent);
    expect(await verifyWitnesses(store, { acceptable: await store.listKeys(), s3: witness })).toEqual([]);
    // The writer cuts off bundle 3 and its checkpoint: the store alone is consistent again.
    await rm(store.manifestPath(3));
    await rm(cpFile(store, 3, 'txt'));
    await rm(cpFile(store, 3, 'sig'));
    const problems = await verifyWitnesses(store, { acceptable: await store.listKeys(), s3: witness });
    expect(problems.map((p) => [p.code, p.sequence])).toEqual([['truncated', 3]]);
  });

  it('an emptied chain is `truncated` against the only store the witness knows', async () => {
    const witness = await lockedWitness();
    const { store } = await storeWith(2);
    await witnessPending(store, { s3: witness }, silent);
    const keys = await store.listKeys();
    for (const dir of ['manifests', 'checkpoints'])
      for (const f of await readdir(path.join(store.root, dir))) await rm(path.join(store.root, dir, f));
    const problems = await verifyWitnesses(store, { acceptable: keys, s3: witness });
    expect(problems.map((p) => [p.code, p.sequence])).toEqual([['truncated', 2]]);
  });

  it('rewriting the newest manifest is `forked`', async () => {
    const witness = await lockedWitness();
    const { store } = await storeWith(2);
    await witnessPending(store, { s3: witness }, silent);
    const manifest = (await store.readManifest(2))!.toString().replace('"b2"', '"b2x"');
    await writeFile(store.manifestPath(2), manifest);
    const problems = await verifyWitnesses(store, { acceptable: await store.listKeys(), s3: witness });
    expect(problems.map((p) => [p.code, p.sequence])).toEqual([['forked', 2]]);
  });
});

describe('witness outage during a seal', () => {
  it('seals anyway, keeps the checkpoint pending (status shows it), and a later seal completes it', async () => {
    const minio = server();
    const bucket = `witness-outage-${process.pid}`;
    await minio.createBucket(bucket, { objectLock: true });
    const dir = await tempDir();
    const config = path.join(dir, 'evidence-hub.yaml');
    await writeFile(
      config,
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./key.pem } }',
        'sources:',
        '  - { id: docs, type: folder, path: ./docs }',
        'witness:',
        `  tsa: { url: "${tsa.url}", caFile: "${tsa.caFile}" }`,
        '  s3:',
        `    bucket: ${bucket}`,
        `    endpoint: ${minio.endpoint}`,
        '    forcePathStyle: true',
        '    retainDays: 1',
        '    credentials: { accessKeyId: { env: EH_WITNESS_KEY }, secretAccessKey: { env: EH_WITNESS_SECRET } }',
        '',
      ].join('\n'),
    );
    const env = { EH_WITNESS_KEY: minio.accessKeyId, EH_WITNESS_SECRET: minio.secretAccessKey };
    Object.assign(process.env, env);
    const hub = await loadHub(config);
    const key = newKey();
    await hub.store.registerKey(key, at(1));
    const activities = createActivities({ ...hub, key, log: silent, clock: () => at(2) });
    const seal = async (bundleId: string) => {
      const staging = await hub.store.openStaging(bundleId, 'docs', 0);
      const blob = await hub.store.putBlob(Readable.from([Buffer.from(bundleId)]));
      await staging.append({ ...stagedRecord(bundleId), sha256: blob.sha256, size: blob.size });
      await staging.close();
      return activities.sealBundle({
        bundleId,
        startedAt: at(2).toISOString(),
        trigger: { type: 'manual', workflowId: bundleId, runId: 'r' },
        outcomes: [{ source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: 1 }],
      });
    };

    tsa.refuse(true);
    await minio.stop();
    try {
      const sealed = await seal('outage-1');
      expect(sealed.sequence).toBe(1);
      expect(await hub.store.readCheckpoint(1)).toBeDefined();
      expect(await hub.store.readTimestampToken(1)).toBeUndefined();
    } finally {
      tsa.refuse(false);
      await minio.restart();
    }
    const status = await runCli(['status', '--config', config, '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const witnesses = (JSON.parse(status.stdout) as { witnesses: { witness: string; pending: number }[] }).witnesses;
    expect(witnesses).toMatchObject([
      { witness: 'tsa', pending: 1, oldestSequence: 1, lastError: { message: expect.stringContaining('503') } },
      { witness: 's3', pending: 1, oldestSequence: 1 },
    ]);
    const text = await runCli(['status', '--config', config], env);
    expect(text.stdout).toMatch(/witness tsa: 1 checkpoint\(s\) pending, oldest #1; last error/);
    // `monitor` reports the same pending witnesses until they catch up.
    const monitor = await runCli(['monitor', '--config', config, '--json'], env);
    expect(monitor.code, monitor.stderr).toBe(0);
    expect(JSON.parse(monitor.stdout).witnesses).toMatchObject([
      { witness: 'tsa', pending: 1, oldestSequence: 1 },
      { witness: 's3', pending: 1, oldestSequence: 1 },
    ]);
    expect((await runCli(['monitor', '--config', config], env)).stdout).toMatch(
      /witness tsa: 1 checkpoint\(s\) pending, oldest #1/,
    );

    // The next seal retries the pending checkpoint first, then witnesses its own.
    await seal('outage-2');
    expect(await hub.store.readTimestampToken(1)).toBeDefined();
    expect(await hub.store.readTimestampToken(2)).toBeDefined();
    const witness = new S3LockWitness({ client: minio.client, bucket, prefix: '', retainDays: 1 });
    const storeId = /^store ([0-9a-f]{64})$/m.exec((await hub.store.readCheckpoint(1))!.body.toString())![1]!;
    expect(await witness.sequences(storeId)).toEqual([1, 2]);
    const after = await runCli(['status', '--config', config, '--json'], env);
    expect(JSON.parse(after.stdout).witnesses).toMatchObject([
      { witness: 'tsa', pending: 0 },
      { witness: 's3', pending: 0 },
    ]);
    const monitorAfter = await runCli(['monitor', '--config', config, '--json'], env);
    expect(JSON.parse(monitorAfter.stdout).witnesses).toMatchObject([
      { witness: 'tsa', pending: 0 },
      { witness: 's3', pending: 0 },
    ]);
    const problems = await verifyWitnesses(hub.store, {
      acceptable: await hub.store.listKeys(),
      tsa: { caFile: tsa.caFile },
      s3: witness,
    });
    expect(problems).toEqual([]);

    // The CLI checks the configured witnesses: cutting off bundle #2 with its checkpoint and token shows.
    const storeDir = path.join(dir, 'store');
    const ok = await runCli(['verify', storeDir, '--config', config, '--json'], env);
    expect(JSON.parse(ok.stdout).problems, ok.stderr).toEqual([]);
    await rm(path.join(storeDir, 'manifests', '000000000002.json'));
    for (const ext of ['txt', 'sig', 'tsr']) await rm(path.join(storeDir, 'checkpoints', `000000000002.${ext}`));
    const cut = await runCli(['verify', storeDir, '--config', config, '--json'], env);
    expect(cut.code).toBe(1);
    expect((JSON.parse(cut.stdout) as { problems: { code: string }[] }).problems.map((p) => p.code)).toContain(
      'truncated',
    );
  });
});
