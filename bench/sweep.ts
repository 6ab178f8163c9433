/**
 * Sweep benchmark: throughput of one real sweep through Temporal, the share of it that is Temporal
 * overhead, and the cost of an incremental sweep. Prints one JSON line (bench/run.ts turns it into figures).
 *
 *   npx tsx bench/sweep.ts            # sizes below; BENCH_SWEEP_SCALE=0.1 for a quick try
 *   BENCH_SWEEP_OVERHEAD_PAIRS=5      # (Temporal, direct) pairs for the overhead figure; ~2.5 min each at scale 1
 *
 * Sources (about 20,000 artifacts at scale 1):
 *   github  fake GitHub over HTTP (test/fakes/github-server.ts), 20 ms added to every answer
 *   jira    fake Jira Cloud over HTTP (test/fakes/jira-server.ts), 20 ms added to every answer
 *   s3      a real MinIO (test/support/minio.ts)
 *   mlflow  a real `mlflow server` (test/support/mlflow-server.ts), seeded by bench/seed-mlflow-bulk.py
 *   siem    a folder of Elastic NDJSON export files
 *
 * Steps, all in this one process (fakes, worker and direct collection share it, as in the tests):
 *   1. sweep 1: startSweep on a Temporal dev server (startDevServer) with an in-process worker
 *      (createHubWorker), every source at once (temporal.concurrency = number of sources), timed from
 *      startSweep to the workflow result (planning, collection, sealing);
 *   2. direct: the same sources collected with collectInto (the activity body) into a fresh filesystem
 *      store, all at once (same concurrency), then sealed with sealBundle: no Temporal at all;
 *   2b. pairs 2..N of the overhead figure: a full sweep through Temporal on a fresh store, then step 2 again;
 *   3. 1% of the artifacts changed at the sources (new merged PRs, updated Jira issues, overwritten S3
 *      objects, a retagged MLflow version, rewritten SIEM files), then sweep 2 into the sweep-1 store.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { bundleWorkflowCode } from '@temporalio/worker';
import { collectInto, type CollectResult } from '../activities/collect';
import { startSweep } from '../cli/commands/sweep';
import { sealBundle } from '../evidence/bundle';
import { FilesystemStore } from '../evidence/fs-store';
import type { SourceOutcome } from '../core/sweep-outcome';
import { initSigningKey, loadHub } from '../worker/hub';
import { createLogger } from '../worker/logger';
import { startDevServer } from '../worker/temporal-server';
import { createHubWorker, installTemporalLogging, workflowsPath } from '../worker/worker';
import type { SweepResult } from '../workflows';
import { FakeGithub, sha1, type FakePull } from '../test/fakes/github-server';
import { FakeJira, type IssueSpec } from '../test/fakes/jira-server';
import { startMinio } from '../test/support/minio';
import { ensureMlflow, startMlflowServer } from '../test/support/mlflow-server';

const log = createLogger({ level: 'silent' });
installTemporalLogging(log);

const scale = Number(process.env['BENCH_SWEEP_SCALE'] ?? 1);
const latencyMs = Number(process.env['BENCH_SWEEP_LATENCY_MS'] ?? 20);
/** Pairs (through Temporal, direct) timed for the overhead figure; each pair is about 2.5 min at scale 1. */
const overheadPairs = Math.max(1, Number(process.env['BENCH_SWEEP_OVERHEAD_PAIRS'] ?? 5));
const n = (x: number) => Math.max(1, Math.round(x * scale));
const sizes = {
  githubRepos: n(40),
  pullsPerRepo: 75,
  releasesPerRepo: 5,
  jiraIssues: n(8000),
  s3Objects: n(5000),
  s3Policies: n(500),
  mlflowModels: n(25),
  mlflowVersionsPerModel: 20,
  siemFiles: n(1000),
  siemLinesPerFile: 20,
};

const now = Date.now();
/** GitHub timestamps have whole seconds. */
const ago = (days: number, minutes = 0) =>
  new Date(now - days * 86_400_000 - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const progress = (msg: string) => process.stderr.write(`[sweep-bench] ${msg}\n`);

/** A merged pull request; `mergedAt` given as days ago, or as a timestamp. */
function pull(n: number, merged: number | string, minutes = 0): FakePull {
  const mergedAt = typeof merged === 'string' ? merged : ago(merged, minutes);
  return {
    number: n,
    title: `change ${n}`,
    author: 'alice',
    state: 'closed',
    createdAt: ago(typeof merged === 'string' ? 2 : merged + 2),
    updatedAt: mergedAt,
    closedAt: mergedAt,
    mergedAt,
    base: 'main',
    headRef: `feature-${n}`,
    headSha: sha1(`head-${n}-${mergedAt}`),
    labels: n % 5 === 0 ? ['model-change'] : [],
    reviews: n % 17 === 0 ? [] : [{ user: 'bob', state: 'APPROVED', submittedAt: mergedAt }],
  };
}

async function populateGithub(gh: FakeGithub): Promise<void> {
  for (let r = 0; r < sizes.githubRepos; r++) {
    const name = `model-svc-${String(r).padStart(3, '0')}`;
    gh.addRepo('acme', name, {
      topics: ['ai'],
      protection: {
        requiredApprovingReviewCount: 1 + (r % 2),
        requireCodeOwnerReviews: true,
        requiredStatusChecks: ['ci/test'],
        enforceAdmins: r % 3 === 0,
      },
      pulls: Array.from({ length: sizes.pullsPerRepo }, (_, i) => pull(i + 1, 80 - i, r)),
      files: {
        '.github/CODEOWNERS': {
          content: `* @acme/ml-leads\n/models/ @acme/model-owners-${r}\n`,
          commits: [{ sha: sha1(`co-${name}`), date: ago(100), author: 'carol' }],
        },
      },
      releases: Array.from({ length: sizes.releasesPerRepo }, (_, i) => ({
        id: gh.id(),
        tag: `v1.${i}.0`,
        name: `v1.${i}.0`,
        createdAt: ago(60 - i * 10),
        publishedAt: ago(60 - i * 10),
        draft: false,
        prerelease: false,
        author: 'alice',
        assets: ['model.tar.gz'],
      })),
      tags: Array.from({ length: sizes.releasesPerRepo }, (_, i) => ({
        name: `v1.${i}.0`,
        sha: sha1(`tag-${name}-${i}`),
      })),
      dependabot: {
        enabled: true,
        alerts: [
          {
            number: 1,
            state: 'open',
            severity: 'high',
            ecosystem: 'pip',
            package: 'requests',
            manifestPath: 'requirements.txt',
            ghsaId: 'GHSA-aaaa-bbbb-cccc',
            cveId: null,
            summary: 'leak',
            createdAt: ago(12),
          },
        ],
      },
      environments: [
        {
          name: 'production',
          createdAt: ago(300),
          updatedAt: ago(30),
          reviewers: [{ type: 'User', login: 'alice' }],
          branchPolicy: { protectedBranches: true, customBranchPolicies: false },
        },
        { name: 'staging', createdAt: ago(300), updatedAt: ago(40), reviewers: [], branchPolicy: null },
      ],
    });
  }
}

function jiraIssue(i: number, updatedDaysAgo: number): IssueSpec {
  const project = i % 2 === 0 ? 'RISK' : 'INC';
  const created = ago(updatedDaysAgo + 30);
  const updated = ago(updatedDaysAgo);
  return {
    key: `${project}-${Math.floor(i / 2) + 1}`,
    summary: `${project === 'RISK' ? 'Risk' : 'Incident'} ${i}: model behaviour under distribution shift`,
    type: project === 'RISK' ? 'Risk' : 'Incident',
    status: i % 3 === 0 ? 'Done' : 'In Progress',
    statusCategory: i % 3 === 0 ? 'done' : 'indeterminate',
    resolution: i % 3 === 0 ? 'Done' : null,
    resolved: i % 3 === 0 ? updated : null,
    created,
    updated,
    labels: ['ai', `system-${i % 7}`],
    statusChanges: [
      { at: ago(updatedDaysAgo + 20), from: 'Open', to: 'In Progress' },
      ...(i % 3 === 0 ? [{ at: updated, from: 'In Progress', to: 'Done' }] : []),
    ],
  };
}

function siemFile(f: number, extra = 0): string {
  const systems = ['fraud-scorer', 'chat-assistant', 'doc-classifier', 'recsys', 'llm-gateway'];
  const start = Date.UTC(2026, 0, 1) + f * 3_600_000;
  const lines: string[] = [];
  for (let i = 0; i < sizes.siemLinesPerFile + extra; i++) {
    const t = start + i * 60_000;
    lines.push(
      JSON.stringify({
        _index: 'ai-logs',
        _id: `${f}-${i}`,
        _source: {
          '@timestamp': new Date(t).toISOString(),
          service: { name: systems[(f + i) % systems.length] },
          log: { level: (f * 31 + i) % 97 === 0 ? 'critical' : 'info' },
          message: `request ${i} served with model v${i % 7}`,
        },
      }),
    );
  }
  return lines.join('\n') + '\n';
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function dirBytes(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
    files++;
  }
  return { bytes, files };
}

function runPython(python: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-5000)));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(out.trim().split('\n').at(-1) ?? '')
        : reject(new Error(`${args[0]} exited ${code}: ${err}`)),
    );
  });
}

interface SweepFigures {
  seconds: number;
  artifacts: number;
  requests: number;
  perSource: Record<string, { artifacts: number; requests: number; status: string; stats: Record<string, number> }>;
  blobBytes: number;
  blobFiles: number;
}

function summarize(outcomes: SourceOutcome[], seconds: number, blobs: { bytes: number; files: number }): SweepFigures {
  const perSource: SweepFigures['perSource'] = {};
  for (const o of outcomes) {
    const stats = o.status === 'failed' ? {} : (o.stats ?? {});
    perSource[o.source] = { artifacts: o.artifactCount, requests: stats['requests'] ?? 0, status: o.status, stats };
  }
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length > 0) throw new Error(`sources failed: ${JSON.stringify(failed)}`);
  return {
    seconds,
    artifacts: outcomes.reduce((a, o) => a + o.artifactCount, 0),
    requests: Object.values(perSource).reduce((a, s) => a + s.requests, 0),
    perSource,
    blobBytes: blobs.bytes,
    blobFiles: blobs.files,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-sweep-bench-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  const tSetup = process.hrtime.bigint();
  try {
    // ---- servers, started together -------------------------------------------------------------
    const mlflowCli = ensureMlflow();
    const [env, minio, mlflow, gh, bundle] = await Promise.all([
      startDevServer(),
      startMinio(path.join(dir, 'minio')),
      startMlflowServer(mlflowCli),
      FakeGithub.start({ latencyMs }),
      bundleWorkflowCode({
        workflowsPath: workflowsPath(),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      }),
    ]);
    cleanups.push(
      () => env.teardown(),
      () => minio.stop(),
      () => mlflow.stop(),
      () => gh.close(),
    );
    const jiraAuth = { user: 'bot@example.com', token: `jira-${randomBytes(6).toString('hex')}` };
    const issues = Array.from({ length: sizes.jiraIssues }, (_, i) => jiraIssue(i, 3 + (i % 200)));
    const jira = await FakeJira.start({
      deployment: 'cloud',
      auth: { basic: jiraAuth },
      projects: ['RISK', 'INC'],
      issues,
      latencyMs,
    });
    cleanups.push(() => jira.close());
    progress(`servers up in ${secs(tSetup).toFixed(1)} s`);

    // ---- data -------------------------------------------------------------------------------------
    const seed = runPython(
      mlflow.python,
      [
        path.join(__dirname, 'seed-mlflow-bulk.py'),
        path.join(mlflow.dir, 'mlflow.db'),
        path.join(mlflow.dir, 'seed-artifacts'),
        String(sizes.mlflowModels),
        String(sizes.mlflowVersionsPerModel),
      ],
      { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
    );
    await populateGithub(gh);
    const bucket = 'evidence-src';
    await minio.createBucket(bucket);
    const keys = Array.from({ length: sizes.s3Objects }, (_, i) =>
      i < sizes.s3Policies
        ? `policies/policy-${String(i).padStart(5, '0')}.md`
        : `records/record-${String(i).padStart(5, '0')}.json`,
    );
    const s3Body = (key: string, rev: number) =>
      key.endsWith('.md')
        ? `# ${key}\n\nrevision ${rev}\n\n${'Policy text. '.repeat(30)}\n`
        : JSON.stringify({ key, rev, owner: 'data-governance', retentionDays: 365, checksum: sha1(`${key}:${rev}`) });
    await mapLimit(keys, 32, async (key) => {
      await minio.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: s3Body(key, 1),
          ContentType: key.endsWith('.md') ? 'text/markdown' : 'application/json',
          Metadata: { owner: 'data-governance', classification: 'internal' },
        }),
      );
    });
    const siemDir = path.join(dir, 'hub', 'siem');
    await mkdir(siemDir, { recursive: true });
    for (let f = 0; f < sizes.siemFiles; f++)
      await writeFile(path.join(siemDir, `export-${String(f).padStart(5, '0')}.ndjson`), siemFile(f));
    const seeded = JSON.parse(await seed) as { versions: number; seconds: number };
    progress(`data seeded in ${secs(tSetup).toFixed(1)} s (mlflow ${seeded.versions} versions in ${seeded.seconds} s)`);

    // ---- hub --------------------------------------------------------------------------------------
    process.env['BENCH_GITHUB_TOKEN'] = 'ghp_test';
    process.env['BENCH_JIRA_TOKEN'] = jiraAuth.token;
    process.env['BENCH_S3_KEY'] = minio.accessKeyId;
    process.env['BENCH_S3_SECRET'] = minio.secretAccessKey;
    process.env['BENCH_MLFLOW_PASSWORD'] = mlflow.password;
    const sourceCount = 5;
    const yamlFor = (store: string) =>
      [
        'version: 1',
        `store: { path: ./${store} }`,
        'signing: { key: { file: ./keys/signing.pem } }',
        `temporal: { taskQueue: bench-${randomBytes(4).toString('hex')}, concurrency: ${sourceCount} }`,
        'sources:',
        `  - { id: github, type: github, baseUrl: "${gh.baseUrl}", auth: { token: { env: BENCH_GITHUB_TOKEN } }, orgs: [{ name: acme }] }`,
        `  - id: jira`,
        `    type: jira`,
        `    url: "${jira.url}"`,
        `    deployment: cloud`,
        `    auth: { email: "${jiraAuth.user}", apiToken: { env: BENCH_JIRA_TOKEN } }`,
        `    timeZone: UTC`,
        `    pageSize: 100`, // Jira Cloud answers at most 100 issues a page when fields are requested (test/fakes/jira-server.ts)
        `    queries: [{ name: risks, kind: risk, jql: "project = RISK" }, { name: incidents, kind: incident, jql: "project = INC" }]`,
        `  - id: s3`,
        `    type: s3`,
        `    endpoint: "${minio.endpoint}"`,
        `    forcePathStyle: true`,
        `    credentials: { accessKeyId: { env: BENCH_S3_KEY }, secretAccessKey: { env: BENCH_S3_SECRET } }`,
        `    scopes: [{ bucket: ${bucket}, content: ["policies/**"] }]`,
        `  - id: mlflow`,
        `    type: mlflow`,
        `    url: "${mlflow.url}"`,
        `    auth: { type: basic, username: ${mlflow.username}, password: { env: BENCH_MLFLOW_PASSWORD } }`,
        `    metrics: { validation: [accuracy, f1], fairness: [demographic_parity_difference] }`,
        `  - { id: siem, type: siem, path: ./siem }`,
        '',
      ].join('\n');
    /** A hub on a fresh store of its own (and its own task queue), so every timed sweep is a full one. */
    const openHub = async (store: string) => {
      const file = path.join(dir, 'hub', `evidence-hub-${store}.yaml`);
      await writeFile(file, yamlFor(store));
      const hub = await loadHub(file);
      const key = (await initSigningKey(hub.config, hub.store)).key;
      const worker = await createHubWorker(hub, key, log, { connection: env.nativeConnection, workflowBundle: bundle });
      return { hub, key, worker };
    };
    const { hub, key, worker } = await openHub('store');
    const blobsDir = path.join(hub.store.location, 'blobs');
    const setupSeconds = secs(tSetup);
    progress(`setup done in ${setupSeconds.toFixed(1)} s`);

    const out = await worker.runUntil(async () => {
      // ---- 1. sweep through Temporal ------------------------------------------------------------
      gh.rateLimitRemaining = 5000;
      const gh0 = gh.http.requests.length;
      const jira0 = jira.requests.length;
      const t1 = process.hrtime.bigint();
      const first = (await (await startSweep(env.client, hub.config, { trigger: 'manual' })).result()) as SweepResult;
      const sweep1 = summarize(first.sources, secs(t1), await dirBytes(blobsDir));
      const fakeRequests1 = { github: gh.http.requests.length - gh0, jira: jira.requests.length - jira0 };
      progress(`sweep 1: ${sweep1.artifacts} artifacts in ${sweep1.seconds.toFixed(1)} s`);

      // ---- 2. the same collection without Temporal ----------------------------------------------
      /** The same sources collected and sealed without Temporal, into a fresh store. */
      const runDirect = async () => {
        gh.rateLimitRemaining = 5000;
        const direct = await FilesystemStore.open(path.join(dir, 'direct-store'));
        await direct.registerKey(key, new Date()); // `keys init`: sealing never registers a key
        const bundleId = `direct-${randomBytes(4).toString('hex')}`;
        const clock = () => new Date();
        const t0 = process.hrtime.bigint();
        const startedAt = new Date().toISOString();
        const perSourceSeconds: Record<string, number> = {};
        const results: CollectResult[] = await Promise.all(
          hub.config.sources.map(async (s) => {
            const ts = process.hrtime.bigint();
            const r = await collectInto(direct, hub.config, s, { bundleId, source: s.id }, log, clock);
            perSourceSeconds[s.id] = secs(ts);
            return r;
          }),
        );
        const outcomes: SourceOutcome[] = results.map((r) =>
          r.problems.length > 0
            ? {
                source: r.source,
                sourceType: r.sourceType,
                status: 'partial',
                artifactCount: r.artifactCount,
                stats: r.stats,
                problems: r.problems,
              }
            : {
                source: r.source,
                sourceType: r.sourceType,
                status: 'ok',
                artifactCount: r.artifactCount,
                stats: r.stats,
              },
        );
        await sealBundle(
          direct,
          key,
          hub.mappings,
          { bundleId, startedAt, trigger: { type: 'manual', workflowId: 'direct', runId: 'direct' }, outcomes },
          clock,
        );
        const directRun = {
          ...summarize(outcomes, secs(t0), await dirBytes(path.join(direct.location, 'blobs'))),
          perSourceSeconds,
        };
        progress(`direct: ${directRun.artifacts} artifacts in ${directRun.seconds.toFixed(1)} s`);
        await rm(direct.location, { recursive: true, force: true });
        return directRun;
      };
      const directRun = await runDirect();

      // ---- 2b. more pairs for the overhead figure (issue 21: median of 5 with the range) ----------
      // Each pair: a full sweep through Temporal on a fresh store (its own hub and worker), then the
      // direct run, in the same order as the first pair. Pair 1 is the sweep and direct run above.
      const pairs = [{ temporal: sweep1.seconds, direct: directRun.seconds }];
      for (let k = 2; k <= overheadPairs; k++) {
        const extra = await openHub(`store-${k}`);
        const temporal = await extra.worker.runUntil(async () => {
          gh.rateLimitRemaining = 5000;
          const t = process.hrtime.bigint();
          await (await startSweep(env.client, extra.hub.config, { trigger: 'manual' })).result();
          return secs(t);
        });
        await rm(extra.hub.store.location, { recursive: true, force: true });
        const directK = await runDirect();
        pairs.push({ temporal, direct: directK.seconds });
        progress(
          `overhead pair ${k}/${overheadPairs}: temporal ${temporal.toFixed(1)} s, direct ${directK.seconds.toFixed(1)} s`,
        );
      }

      // ---- 3. change 1% at the sources, sweep again ---------------------------------------------
      const changed: Record<string, number> = {};
      const ghArtifacts = sweep1.perSource['github']!.artifacts;
      const repos = gh.orgs.get('acme')!;
      changed['github'] = Math.max(1, Math.round(ghArtifacts / 100));
      const mergedNow = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      for (let i = 0; i < changed['github']; i++) {
        const repo = repos[i % repos.length]!;
        repo.pulls.push(pull(repo.pulls.length + 1, mergedNow));
      }
      changed['jira'] = Math.max(1, Math.round(sizes.jiraIssues / 100));
      const stamp = new Date().toISOString();
      for (let i = 0; i < changed['jira']; i++) {
        const spec = issues[i * 100]!;
        jira.putIssues({
          ...spec,
          status: 'Done',
          statusCategory: 'done',
          resolution: 'Done',
          updated: stamp,
          resolved: stamp,
          statusChanges: [...(spec.statusChanges ?? []), { at: stamp, from: spec.status ?? 'Open', to: 'Done' }],
        });
      }
      changed['s3'] = Math.max(1, Math.round(sizes.s3Objects / 100));
      for (let i = 0; i < changed['s3']; i++) {
        const k = keys[i * 100]!;
        await minio.client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: k,
            Body: s3Body(k, 2),
            Metadata: { owner: 'data-governance', classification: 'internal' },
          }),
        );
      }
      // A retagged version is collected again with its lineage and card (3 artifacts each).
      const mlflowArtifacts = sweep1.perSource['mlflow']!.artifacts;
      changed['mlflow'] = Math.max(1, Math.round(mlflowArtifacts / 100 / 3));
      const basic = `Basic ${Buffer.from(`${mlflow.username}:${mlflow.password}`).toString('base64')}`;
      for (let i = 0; i < changed['mlflow']; i++) {
        const name = `bench-model-${String(i % sizes.mlflowModels).padStart(3, '0')}`;
        const res = await fetch(`${mlflow.url}/api/2.0/mlflow/model-versions/set-tag`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/json' },
          body: JSON.stringify({
            name,
            version: String(1 + Math.floor(i / sizes.mlflowModels)),
            key: 'reviewed',
            value: stamp,
          }),
        });
        if (!res.ok) throw new Error(`mlflow set-tag: ${res.status} ${await res.text()}`);
      }
      changed['siem'] = Math.max(1, Math.round(sizes.siemFiles / 100));
      for (let i = 0; i < changed['siem']; i++) {
        const f = i * 100;
        await writeFile(path.join(siemDir, `export-${String(f).padStart(5, '0')}.ndjson`), siemFile(f, 1));
      }
      gh.rateLimitRemaining = 5000;
      const t0 = process.hrtime.bigint();
      const second = (await (await startSweep(env.client, hub.config, { trigger: 'manual' })).result()) as SweepResult;
      const sweep2 = summarize(second.sources, secs(t0), await dirBytes(blobsDir));
      progress(`sweep 2: ${sweep2.artifacts} artifacts in ${sweep2.seconds.toFixed(1)} s`);
      return {
        sweep1,
        fakeRequests1,
        direct: directRun,
        overheadPairs: pairs,
        changed,
        sweep2,
        bundles: [first.bundle.sequence, second.bundle.sequence],
      };
    });
    const artifactsChanged = Object.values(out.changed).reduce((a, b) => a + b, 0);
    console.log(
      JSON.stringify({
        sizes,
        scale,
        latencyMs,
        setupSeconds,
        mlflowSeed: seeded,
        ...out,
        artifactsChanged,
        artifactsPerSecond: out.sweep1.artifacts / out.sweep1.seconds,
        requestsPerArtifact: out.sweep1.requests / out.sweep1.artifacts,
        temporalOverheadShare: 1 - out.direct.seconds / out.sweep1.seconds,
        temporalOverheadShares: out.overheadPairs.map((p) => 1 - p.direct / p.temporal),
        incrementalRequestsRatio: out.sweep2.requests / out.sweep1.requests,
        incrementalBytesRatio: (out.sweep2.blobBytes - out.sweep1.blobBytes) / out.sweep1.blobBytes,
        incrementalTimeRatio: out.sweep2.seconds / out.sweep1.seconds,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
      }),
    );
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
