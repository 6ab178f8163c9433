import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import { githubSourceSchema, type GithubSourceInput } from '../../connectors/github/config';
import { RateLimitError, SourceUnavailableError } from '../../connectors/github/errors';
import { createGithubConnector, type GithubConnector } from '../../connectors/github/github-connector';
import { githubKinds } from '../../connectors/github/kinds';
import type { CollectionStep } from '../../connectors/types';
import type { JsonValue } from '../../core/json';
import { sha256Hex } from '../../core/digest';
import { FilesystemStore } from '../../evidence/fs-store';
import { loadCatalog } from '../../mappings/catalog';
import { mappingFileSchema } from '../../mappings/schema';
import { compileSelectors } from '../../mappings/select';
import { createLogger } from '../../worker/logger';
import type { FakeResponse } from '../fakes/http-fake';
import {
  FakeGithub,
  gitBlobSha,
  sha1,
  type FakeAlert,
  type FakePull,
  type FakeRepo,
  type FakeRun,
} from '../fakes/github-server';
import { tempDir } from '../support/tmp';
import { capturedLog, capturedText } from '../support/log-capture';

const log = createLogger({ level: 'silent' });
const fakes: FakeGithub[] = [];

afterEach(async () => {
  while (fakes.length) await fakes.pop()!.close();
});

async function startFake(opts: { prefix?: string } = {}): Promise<FakeGithub> {
  const fake = await FakeGithub.start(opts);
  fakes.push(fake);
  return fake;
}

/** GitHub timestamps have whole seconds. */
function ago(days: number, minutes = 0): string {
  return new Date(Date.now() - days * 86_400_000 - minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface Collected {
  steps: CollectionStep[];
  state: JsonValue;
  stats: Record<string, number>;
  /** Blobs newly written to the store during this run. */
  created: string[];
}

type Overrides = Omit<Partial<GithubSourceInput>, 'id' | 'type'>;

async function makeConnector(
  fake: FakeGithub,
  overrides: Overrides = {},
  token = 'ghp_test',
  retryAfterBaseMs = 1,
): Promise<GithubConnector> {
  const source = githubSourceSchema.parse({
    id: 'gh',
    type: 'github',
    baseUrl: fake.baseUrl,
    auth: { token: { env: 'GH_TOKEN' } },
    orgs: [{ name: 'acme' }],
    requests: { concurrency: 4, retries: 3 },
    ...overrides,
  });
  return createGithubConnector(source, async () => token, { retryAfterBaseMs });
}

async function collect(
  connector: GithubConnector,
  opts: {
    previousState?: JsonValue;
    store?: FilesystemStore;
    resumeAfter?: string;
    stopAfter?: number;
    log?: Logger;
  } = {},
): Promise<Collected> {
  const steps: CollectionStep[] = [];
  const created: string[] = [];
  const iter = connector.collect({
    log: opts.log ?? log,
    ...(opts.previousState !== undefined ? { previousState: opts.previousState } : {}),
    ...(opts.resumeAfter !== undefined ? { resumeAfter: opts.resumeAfter } : {}),
    ...(opts.store ? { openStoredBlob: (sha: string) => opts.store!.openBlob(sha) } : {}),
  });
  for await (const step of iter) {
    steps.push(step);
    if (opts.store) {
      const blob = await opts.store.putBlob(step.artifact.open());
      if (blob.created) created.push(blob.sha256);
    }
    if (opts.stopAfter !== undefined && steps.length >= opts.stopAfter) break;
  }
  return { steps, state: connector.state(), stats: connector.stats(), created };
}

async function content(step: CollectionStep): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of step.artifact.open()) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

const byId = (steps: CollectionStep[]) => new Map(steps.map((s) => [s.artifact.meta.externalId, s]));
const ofKind = (steps: CollectionStep[], kind: string) => steps.filter((s) => s.artifact.meta.kind === kind);

/** Merged pull requests numbered from `from`, each approved by `bob` unless listed in `unapproved`. */
function mergedPulls(
  count: number,
  opts: { from?: number; daysAgoStart?: number; unapproved?: number[] } = {},
): FakePull[] {
  const from = opts.from ?? 1;
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const mergedAt = ago(opts.daysAgoStart ?? 30, -i * 3);
    return {
      number: n,
      title: `change ${n}`,
      author: 'alice',
      state: 'closed',
      createdAt: ago(40),
      updatedAt: mergedAt,
      closedAt: mergedAt,
      mergedAt,
      base: 'main',
      headRef: `feature-${n}`,
      headSha: sha1(`head-${n}`),
      labels: [],
      reviews: opts.unapproved?.includes(n)
        ? []
        : [{ user: 'bob', state: 'APPROVED', submittedAt: ago(opts.daysAgoStart ?? 30, -i * 3 + 1) }],
    };
  });
}

/** A repository with one of every kind of evidence, the way the acceptance scenario needs them. */
function standardRepo(fake: FakeGithub, owner: string, name: string, pulls: number): FakeRepo {
  const codeowners = '* @acme/ml-leads\n';
  return fake.addRepo(owner, name, {
    topics: ['ai'],
    protection: { requiredApprovingReviewCount: 1, requireCodeOwnerReviews: true, requiredStatusChecks: ['ci/test'] },
    pulls: mergedPulls(pulls),
    files: {
      '.github/CODEOWNERS': {
        content: codeowners,
        commits: [{ sha: sha1(`co-${name}`), date: ago(100), author: 'carol' }],
      },
    },
    releases: [
      {
        id: fake.id(),
        tag: 'v1.0.0',
        name: 'v1.0.0',
        createdAt: ago(20),
        publishedAt: ago(20),
        draft: false,
        prerelease: false,
        author: 'alice',
        assets: [],
      },
    ],
    tags: [{ name: 'v1.0.0', sha: sha1(`tag-${name}`) }],
    workflows: [
      {
        id: fake.id(),
        file: 'evaluate.yml',
        name: 'Model evaluation',
        runs: [
          {
            id: fake.id(),
            runNumber: 1,
            runAttempt: 1,
            event: 'push',
            status: 'completed',
            conclusion: 'success',
            headBranch: 'main',
            headSha: sha1(`run-${name}`),
            createdAt: ago(2),
            updatedAt: ago(2, -20),
            actor: 'alice',
            artifacts: ['eval-report'],
          },
        ],
      },
    ],
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
    ],
  });
}

describe('GitHub connector', () => {
  it('collects every evidence kind, normalized, with observedAt from the source', async () => {
    const fake = await startFake();
    const head = sha1('head-3');
    const published = ago(19);
    richRepo(fake, published, head);
    const connector = await makeConnector(fake, {
      collect: {
        workflowRuns: { workflows: ['evaluate.yml', 'missing.yml'], window: '90d' },
        files: { include: ['docs/policies/**', 'model-cards/**'] },
      },
    });
    const started = Date.now();
    const { steps, stats } = await collect(connector);
    const ids = byId(steps);

    expect(new Set(steps.map((s) => s.artifact.meta.kind))).toEqual(new Set(githubKinds));
    expect(new Set(steps.map((s) => s.artifact.meta.externalId)).size).toBe(steps.length);
    for (const s of steps) {
      expect(s.artifact.meta.provenance).toMatchObject({ collector: 'github@1.0.0', apiVersion: '2022-11-28' });
      expect(s.artifact.meta.provenance.endpoint.startsWith(fake.baseUrl)).toBe(true);
    }

    // Branch protection: classic and ruleset rules combined, the strictest wins.
    const bp = ids.get('acme/model-service/branch-protection')!;
    expect(bp.artifact.meta.attributes).toMatchObject({
      repository: 'acme/model-service',
      branch: 'main',
      protected: true,
      classicProtection: true,
      rulesetIds: [7],
      pullRequestRequired: true,
      requiredApprovingReviewCount: 2,
      requireCodeOwnerReview: true,
      dismissStaleReviews: true,
      requiredStatusChecks: ['ci/test', 'eval/model'],
      strictStatusChecks: true,
      forcePushesBlocked: true,
      deletionsBlocked: true,
      enforceAdmins: true,
      observedAtFrom: 'response-date',
    });
    const observed = Date.parse(bp.artifact.meta.observedAt);
    expect(observed).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
    expect(observed).toBeLessThanOrEqual(Date.now());
    const bpBytes = await content(bp);
    expect(JSON.parse(bpBytes.toString('utf8'))).toMatchObject({
      protected: true,
      effective: { requiredApprovingReviewCount: 2 },
    });
    expect(bp.artifact.meta.mediaType).toBe('application/json');

    // Pull requests: only merged ones in the window; approval judged at merge time.
    const prs = ofKind(steps, 'pull-request').map((s) => s.artifact.meta.attributes);
    expect(prs.map((a) => a['number']).sort()).toEqual([1, 2, 3, 5, 6]);
    const approved = Object.fromEntries(prs.map((a) => [a['number'], a['approved']]));
    expect(approved).toEqual({ 1: true, 2: false, 3: false, 5: false, 6: false });
    expect(ids.get('acme/model-service/pull/1')!.artifact.meta).toMatchObject({
      observedAt: new Date(fakeRepoPull(fake, 1).mergedAt!).toISOString(),
      attributes: {
        approvers: ['bob'],
        reviewers: ['bob'],
        author: 'alice',
        baseBranch: 'main',
        toDefaultBranch: true,
        observedAtFrom: 'merged_at',
      },
    });
    expect(ids.get('acme/model-service/pull/3')!.artifact.meta.attributes).toMatchObject({
      approvers: [],
      reviewers: ['carol'],
    });
    const summary = ids.get('acme/model-service/pull-request-summary')!.artifact.meta.attributes;
    expect(summary).toMatchObject({
      merged: 5,
      mergedWithoutApproval: 4,
      allApproved: false,
      unapprovedPullRequests: [2, 3, 5, 6],
      window: '90d',
    });

    // CODEOWNERS: the file itself, and what it says.
    const co = ids.get('acme/model-service/codeowners')!;
    expect((await content(co)).toString('utf8')).toBe('# owners\n* @acme/ml-leads\n/models/ @acme/ml\n');
    expect(co.artifact.meta).toMatchObject({ mediaType: 'text/plain' });
    expect(co.artifact.meta.attributes).toMatchObject({
      present: true,
      path: '.github/CODEOWNERS',
      ruleCount: 2,
      owners: ['@acme/ml', '@acme/ml-leads'],
      hasDefaultOwner: true,
      lastCommitAt: '2026-01-10T08:00:00.000Z',
    });

    // Files by glob, with their last commit as observedAt and front matter read.
    expect(ofKind(steps, 'file').map((s) => s.artifact.meta.attributes['path'])).toEqual([
      'docs/policies/ai-policy.md',
      'model-cards/fraud.md',
    ]);
    const policy = ids.get('acme/model-service/file/docs/policies/ai-policy.md')!;
    expect(policy.artifact.meta).toMatchObject({ observedAt: '2026-02-01T09:30:00.000Z', mediaType: 'text/markdown' });
    expect(policy.artifact.meta.attributes).toMatchObject({
      lastCommitAuthor: 'dave',
      frontMatter: { type: 'ai-policy', owner: 'Risk Office' },
      blobSha: gitBlobSha('---\ntype: ai-policy\nowner: Risk Office\n---\n# AI policy\n'),
    });
    expect((await content(policy)).toString('utf8')).toContain('# AI policy');

    // Releases (drafts are not releases yet) and tags.
    expect(
      ofKind(steps, 'release')
        .map((s) => s.artifact.meta.attributes['tag'])
        .sort(),
    ).toEqual(['v1.0.0', 'v1.1.0-rc1']);
    expect(ids.get('acme/model-service/release/v1.0.0')!.artifact.meta).toMatchObject({
      observedAt: new Date(published).toISOString(),
      attributes: { assets: ['model.onnx'], prerelease: false },
    });
    const tags = JSON.parse((await content(ids.get('acme/model-service/tags')!)).toString('utf8')) as {
      tags: { name: string }[];
    };
    expect(tags.tags.map((t) => t.name)).toEqual(['v1.0.0', 'v1.1.0-rc1']);

    // Workflow runs: completed ones in the window, with their artifact names; a missing workflow is skipped.
    const runs = ofKind(steps, 'workflow-run').map((s) => s.artifact.meta.attributes);
    expect(runs.map((r) => r['runId']).sort()).toEqual(['901', '902']);
    expect(runs.find((r) => r['runId'] === '901')).toMatchObject({
      conclusion: 'success',
      success: true,
      artifactNames: ['eval-report', 'metrics'],
      workflow: 'evaluate.yml',
      workflowPath: '.github/workflows/evaluate.yml',
    });

    // Dependabot: open alerts by severity, with ages.
    expect(ids.get('acme/model-service/dependabot-alerts')!.artifact.meta.attributes).toMatchObject({
      enabled: true,
      openCount: 2,
      critical: 1,
      high: 1,
      medium: 0,
      low: 0,
      oldestCriticalAgeDays: 40,
      oldestHighAgeDays: 5,
      oldestOpenAgeDays: 40,
    });

    // Environments and their protection rules.
    expect(ids.get('acme/model-service/environment/production')!.artifact.meta.attributes).toMatchObject({
      protected: true,
      requiredReviewers: ['alice', 'team:ml-leads'],
      requiredReviewerCount: 2,
      preventSelfReview: true,
      waitTimerMinutes: 10,
      branchPolicy: 'protected-branches',
    });
    expect(ids.get('acme/model-service/environment/staging')!.artifact.meta.attributes).toMatchObject({
      protected: false,
      branchPolicy: 'any',
    });

    expect(stats).toMatchObject({
      requests: fake.http.requests.length,
      billableRequests: fake.billable(),
      notModified: 0,
      rateLimitRemaining: fake.rateLimitRemaining,
    });
  });

  it('scopes organisations by name glob, topic and exclusion, plus named repositories', async () => {
    const fake = await startFake();
    fake.addRepo('acme', 'ml-alpha', { topics: ['ai', 'python'] });
    fake.addRepo('acme', 'ml-beta', { topics: ['web'] });
    fake.addRepo('acme', 'ml-sandbox', { topics: ['ai'] });
    fake.addRepo('acme', 'ml-legacy', { topics: ['ai'], archived: true });
    fake.addRepo('acme', 'ml-forked', { topics: ['ai'], fork: true });
    fake.addRepo('acme', 'website', { topics: ['ai'] });
    fake.addRepo('partner', 'shared-model', {});
    const connector = await makeConnector(fake, {
      orgs: [{ name: 'acme', repositories: ['ml-*'], topics: ['AI'], exclude: ['*-sandbox'] }],
      repositories: ['partner/shared-model'],
      collect: {
        pullRequests: false,
        releases: false,
        tags: false,
        dependabotAlerts: false,
        environments: false,
        codeowners: false,
      },
    });
    const { steps } = await collect(connector);
    expect(steps.map((s) => s.artifact.meta.attributes['repository'])).toEqual([
      'acme/ml-alpha',
      'partner/shared-model',
    ]);
  });

  it('follows Link pagination across many pages (page numbers and cursors)', async () => {
    const fake = await startFake();
    for (let i = 0; i < 7; i++) fake.addRepo('acme', `repo-${i}`, {});
    const big = fake.repo('acme/repo-3');
    big.pulls = mergedPulls(23);
    big.dependabot.alerts = Array.from({ length: 5 }, (_, i) => alert(i + 1, 'medium', ago(i + 1)));
    big.environments = Array.from({ length: 5 }, (_, i) => ({
      name: `env-${i}`,
      createdAt: ago(9),
      updatedAt: ago(9),
      reviewers: [],
      branchPolicy: null,
    }));
    big.tags = Array.from({ length: 9 }, (_, i) => ({ name: `v0.${i}`, sha: sha1(`t${i}`) }));
    const connector = await makeConnector(fake, { requests: { perPage: 2, concurrency: 2 } });
    const { steps } = await collect(connector);

    expect(new Set(steps.map((s) => s.artifact.meta.attributes['repository'])).size).toBe(7);
    expect(
      fake.http.requestsTo(/^\/orgs\/acme\/repos\?/).map((r) => new URLSearchParams(r.query).get('page') ?? '1'),
    ).toEqual(['1', '2', '3', '4']);
    expect(
      ofKind(steps, 'pull-request').filter((s) => s.artifact.meta.attributes['repository'] === 'acme/repo-3'),
    ).toHaveLength(23);
    expect(fake.http.requestsTo(/^\/repos\/acme\/repo-3\/pulls\?/)).toHaveLength(12);
    const alerts = fake.http.requestsTo(/^\/repos\/acme\/repo-3\/dependabot\/alerts/);
    expect(alerts).toHaveLength(3);
    expect(alerts.slice(1).every((r) => new URLSearchParams(r.query).has('after'))).toBe(true);
    expect(byId(steps).get('acme/repo-3/dependabot-alerts')!.artifact.meta.attributes['openCount']).toBe(5);
    expect(
      ofKind(steps, 'environment').filter((s) => s.artifact.meta.attributes['repository'] === 'acme/repo-3'),
    ).toHaveLength(5);
    const tags = JSON.parse((await content(byId(steps).get('acme/repo-3/tags')!)).toString('utf8')) as {
      tags: unknown[];
    };
    expect(tags.tags).toHaveLength(9);
  });

  it('answers unchanged lists with 304s and re-emits the stored artifacts, keeping the evidence current', async () => {
    const fake = await startFake();
    standardRepo(fake, 'acme', 'svc', 3);
    const store = await FilesystemStore.open(await tempDir());
    const overrides: Overrides = {
      collect: { workflowRuns: { workflows: ['evaluate.yml'] }, files: { include: ['**/*.md'] } },
    };
    const first = await collect(await makeConnector(fake, overrides), { store });
    fake.http.resetLog();
    await new Promise((r) => setTimeout(r, 1100)); // a later Date header
    const second = await collect(await makeConnector(fake, overrides), { store, previousState: first.state });

    expect(second.stats['billableRequests']).toBe(0);
    expect(fake.billable()).toBe(0);
    expect(second.stats['notModified']).toBe(fake.http.requests.length);
    expect(fake.http.requests.every((r) => r.ifNoneMatch !== undefined)).toBe(true);
    expect(second.created).toEqual([]);

    const before = byId(first.steps);
    const after = byId(second.steps);
    for (const id of [
      'acme/svc/branch-protection',
      'acme/svc/codeowners',
      'acme/svc/tags',
      'acme/svc/dependabot-alerts',
      'acme/svc/environment/production',
    ]) {
      const a = before.get(id)!;
      const b = after.get(id)!;
      expect(b, id).toBeDefined();
      expect(sha256Hex(await content(b))).toBe(sha256Hex(await content(a)));
      expect(Date.parse(b.artifact.meta.observedAt)).toBeGreaterThan(Date.parse(a.artifact.meta.observedAt));
      expect(b.artifact.meta.attributes).toMatchObject({ repository: 'acme/svc' });
    }
    // Events (pull requests, releases, runs) are not repeated: they are already in the store's history.
    expect(ofKind(second.steps, 'pull-request')).toHaveLength(0);
    expect(ofKind(second.steps, 'release')).toHaveLength(0);
    expect(ofKind(second.steps, 'workflow-run')).toHaveLength(0);
    expect(after.get('acme/svc/pull-request-summary')!.artifact.meta.attributes).toMatchObject({ merged: 3 });

    // A change costs only the requests that see it, and yields a new blob.
    fake.repo('acme/svc').protection!.allowForcePushes = true;
    fake.http.resetLog();
    const third = await collect(await makeConnector(fake, overrides), { store, previousState: second.state });
    expect(fake.http.requests.filter((r) => r.status !== 304).map((r) => r.path)).toEqual([
      '/repos/acme/svc/branches/main/protection',
      '/repos/acme/svc/rules/branches/main',
    ]);
    expect(third.created).toHaveLength(1);
    expect(byId(third.steps).get('acme/svc/branch-protection')!.artifact.meta.attributes['forcePushesBlocked']).toBe(
      false,
    );
  });

  it('backs off on secondary rate limits (403 and 429) honouring Retry-After', async () => {
    const fake = await startFake();
    fake.addRepo('acme', 'svc', { pulls: mergedPulls(2) });
    const message = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
    fake.http.fail(/^\/repos\/acme\/svc\/pulls\?/, { status: 403, headers: { 'retry-after': '3' }, body: { message } });
    fake.http.fail(/^\/repos\/acme\/svc\/pulls\?/, { status: 429, headers: { 'retry-after': '2' }, body: { message } });
    const connector = await makeConnector(fake, {}, 'ghp_test', 20);
    const { steps, stats } = await collect(connector);

    expect(ofKind(steps, 'pull-request')).toHaveLength(2);
    const attempts = fake.http.requestsTo(/^\/repos\/acme\/svc\/pulls\?/);
    expect(attempts.map((r) => r.status)).toEqual([403, 429, 200]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(3 * 20 - 5);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(2 * 20 - 5);
    expect(stats['rateLimitWaits']).toBe(2);
  });

  it('waits for the primary rate limit to reset, and fails retryably when the reset is too far away', async () => {
    const fake = await startFake();
    fake.addRepo('acme', 'svc', {});
    const exhausted = (resetIn: number) => ({
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetIn) },
      body: { message: 'API rate limit exceeded for user ID 1.' },
    });
    fake.http.fail('/repos/acme/svc/branches/main/protection', exhausted(1));
    const { steps } = await collect(await makeConnector(fake, { collect: { pullRequests: false } }, 'ghp_test', 1));
    expect(byId(steps).get('acme/svc/branch-protection')).toBeDefined();
    expect(fake.http.requestsTo(/protection$/).map((r) => r.status)).toEqual([403, 404]);

    fake.http.fail('/repos/acme/svc/branches/main/protection', exhausted(3600));
    const err = await collect(await makeConnector(fake, { requests: { maxRateLimitWaitSeconds: 60 } })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryable).toBe(true);
    expect((err as Error).message).toMatch(
      /primary rate limit is exhausted \(GET \/repos\/acme\/svc\/branches\/main\/protection\); it resets at \d{4}-/,
    );
  });

  it('retries 5xx and plain 429 with backoff honouring Retry-After, then gives up retryably', async () => {
    const fake = await startFake();
    fake.addRepo('acme', 'svc', {
      releases: [
        {
          id: 5,
          tag: 'v1',
          name: 'v1',
          createdAt: ago(1),
          publishedAt: ago(1),
          draft: false,
          prerelease: false,
          author: 'a',
          assets: [],
        },
      ],
    });
    fake.http.fail(
      /^\/repos\/acme\/svc\/releases/,
      { status: 502, headers: { 'retry-after': '2' }, body: { message: 'Server Error' } },
      2,
    );
    fake.http.fail(/^\/repos\/acme\/svc\/tags/, {
      status: 429,
      headers: { 'retry-after': '1' },
      body: { message: 'Too Many Requests' },
    });
    const { steps, stats } = await collect(await makeConnector(fake, {}, 'ghp_test', 15));
    expect(ofKind(steps, 'release')).toHaveLength(1);
    const attempts = fake.http.requestsTo(/^\/repos\/acme\/svc\/releases/);
    expect(attempts.map((r) => r.status)).toEqual([502, 502, 200]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(2 * 15 - 5);
    expect(fake.http.requestsTo(/^\/repos\/acme\/svc\/tags/).map((r) => r.status)).toEqual([429, 200]);
    expect(stats['retries']).toBe(3);

    fake.http.clearFaults();
    fake.http.fail(/^\/repos\/acme\/svc\/releases/, { status: 503, body: { message: 'Service Unavailable' } }, 10);
    const failing = await makeConnector(fake, { requests: { retries: 2 } });
    const err = await collect(failing).catch((e: unknown) => e);
    expect(failing.stats()['retries']).toBe(2);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect((err as Error).message).toMatch(
      /GET \/repos\/acme\/svc\/releases kept failing after 2 retries \(503 Service Unavailable\)/,
    );
    expect(fake.http.requestsTo(/^\/repos\/acme\/svc\/releases/).filter((r) => r.status === 503)).toHaveLength(1 + 2);
  });

  it('treats a missing rulesets endpoint (older Enterprise Server) as no rules, and unprotected branches as evidence', async () => {
    const fake = await startFake();
    fake.addRepo('acme', 'old', {});
    fake.http.fail('/repos/acme/old/rules/branches/main', { status: 404, body: { message: 'Not Found' } });
    const { steps } = await collect(await makeConnector(fake, { collect: { pullRequests: false } }));
    expect(byId(steps).get('acme/old/branch-protection')!.artifact.meta.attributes).toMatchObject({
      protected: false,
      classicProtection: false,
      rulesetIds: [],
      forcePushesBlocked: false,
      deletionsBlocked: false,
    });
    expect(byId(steps).get('acme/old/codeowners')!.artifact.meta.attributes).toMatchObject({ present: false });
  });

  it('collect.branchRulesets false reads classic protection only: no rulesets request, on the first run or a rerun', async () => {
    const fake = await startFake();
    standardRepo(fake, 'acme', 'svc', 2);
    const store = await FilesystemStore.open(await tempDir());
    const overrides = { collect: { pullRequests: false, branchRulesets: false } } as const;
    const first = await collect(await makeConnector(fake, overrides), { store });
    const second = await collect(await makeConnector(fake, overrides), { store, previousState: first.state });
    expect(fake.http.requestsTo(/\/rules\/branches\//)).toHaveLength(0);
    expect(fake.http.requestsTo(/^\/repos\/acme\/svc\/branches\/main\/protection$/)).toHaveLength(2);
    expect(byId(first.steps).get('acme/svc/branch-protection')!.artifact.meta.attributes).toMatchObject({
      classicProtection: true,
      rulesetIds: [],
    });
    expect(byId(second.steps).has('acme/svc/branch-protection')).toBe(true); // re-emitted on the 304
  });

  it('logs 304s and expected 404s at debug: a healthy incremental run writes no error line, a real failure one', async () => {
    const fake = await startFake();
    standardRepo(fake, 'acme', 'svc', 2);
    fake.addRepo('acme', 'bare', {}); // no protection ("Branch not protected"), no CODEOWNERS, no environments
    fake.http.fail('/repos/acme/bare/rules/branches/main', { status: 404, body: { message: 'Not Found' } });
    const store = await FilesystemStore.open(await tempDir());
    const lines = async (run: () => Promise<unknown>) => {
      const from = capturedText().length;
      await run();
      return capturedText()
        .slice(from)
        .split('\n')
        .filter((l) => l.includes('"source":"gh"'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; status?: number });
    };
    let first: Collected | undefined;
    const firstLines = await lines(async () => {
      first = await collect(await makeConnector(fake), { store, log: capturedLog });
    });
    const secondLines = await lines(async () =>
      collect(await makeConnector(fake), { store, previousState: first!.state, log: capturedLog }),
    );
    expect(fake.http.requests.some((r) => r.status === 304)).toBe(true);
    for (const l of [...firstLines, ...secondLines]) expect(l.level, l.msg).toBeLessThan(50);
    // The expected answers are still there for whoever debugs: at debug level (20).
    expect(firstLines.some((l) => l.level === 20 && l.status === 404)).toBe(true);
    expect(secondLines.some((l) => l.level === 20 && / - 304 /.test(l.msg))).toBe(true);

    // A real failure is an error line naming it, once.
    fake.tokens.delete('ghp_test');
    const failing = await lines(async () =>
      collect(await makeConnector(fake), { store, previousState: first!.state, log: capturedLog }).catch(
        (e: unknown) => e,
      ),
    );
    const errors = failing.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/rejected the credentials \(401/);
  });

  it('keeps push and review-dismissal restrictions, and release asset size, content type and digest', async () => {
    const fake = await startFake();
    const digest = `sha256:${sha256Hex('model-weights')}`;
    fake.addRepo('acme', 'svc', {
      protection: {
        requiredApprovingReviewCount: 2,
        pushRestrictions: { users: ['release-bot', 'alice'], teams: ['ml-leads'], apps: ['deployer'] },
        dismissalRestrictions: { users: ['carol'], teams: ['security'], apps: [] },
      },
      releases: [
        {
          id: fake.id(),
          tag: 'v2.0.0',
          name: 'v2',
          createdAt: ago(3),
          publishedAt: ago(3),
          draft: false,
          prerelease: false,
          author: 'alice',
          assets: [
            { name: 'model.onnx', size: 52_428_800, contentType: 'application/octet-stream', digest },
            { name: 'card.md', size: 2048, contentType: 'text/markdown', digest: null },
          ],
        },
      ],
    });
    fake.addRepo('acme', 'open', { protection: { requiredApprovingReviewCount: 1 } });
    const { steps } = await collect(await makeConnector(fake, { collect: { pullRequests: false } }));
    const bp = byId(steps).get('acme/svc/branch-protection')!;
    expect(bp.artifact.meta.attributes).toMatchObject({
      pushRestricted: true,
      pushAllowedUsers: ['alice', 'release-bot'],
      pushAllowedTeams: ['ml-leads'],
      pushAllowedApps: ['deployer'],
      reviewDismissalRestricted: true,
      reviewDismissalUsers: ['carol'],
      reviewDismissalTeams: ['security'],
      reviewDismissalApps: [],
    });
    const record = JSON.parse((await content(bp)).toString('utf8')) as { classic: Record<string, unknown> };
    expect(record.classic['pushRestrictions']).toEqual({
      users: ['alice', 'release-bot'],
      teams: ['ml-leads'],
      apps: ['deployer'],
    });
    expect(record.classic['reviewDismissalRestrictions']).toEqual({ users: ['carol'], teams: ['security'], apps: [] });
    expect(byId(steps).get('acme/open/branch-protection')!.artifact.meta.attributes).toMatchObject({
      pushRestricted: false,
      pushAllowedUsers: [],
      reviewDismissalRestricted: false,
    });

    const rel = byId(steps).get('acme/svc/release/v2.0.0')!;
    expect(rel.artifact.meta.attributes).toMatchObject({
      assets: ['card.md', 'model.onnx'],
      assetCount: 2,
      assetBytes: 52_428_800 + 2048,
      assetsDigested: false,
      assetDigests: [`model.onnx ${digest}`],
    });
    const relRecord = JSON.parse((await content(rel)).toString('utf8')) as { assetDetails: unknown };
    expect(relRecord.assetDetails).toEqual([
      { name: 'card.md', size: 2048, contentType: 'text/markdown', digest: null },
      { name: 'model.onnx', size: 52_428_800, contentType: 'application/octet-stream', digest },
    ]);
  });

  it('follows a renamed repository (301) under its new name and warns once per run that the config names the old one', async () => {
    const fake = await startFake();
    standardRepo(fake, 'acme', 'old-name', 1);
    fake.rename('acme/old-name', 'new-name');
    const store = await FilesystemStore.open(await tempDir());
    const run = async (previousState?: JsonValue) => {
      const from = capturedText().length;
      const c = await collect(await makeConnector(fake, { orgs: [], repositories: ['acme/old-name'] }), {
        store,
        log: capturedLog,
        ...(previousState !== undefined ? { previousState } : {}),
      });
      const warnings = capturedText()
        .slice(from)
        .split('\n')
        .filter((l) => l.includes('"level":40') && l.includes('redirects'));
      return { c, warnings };
    };
    const first = await run();
    expect(fake.http.requests.filter((r) => r.status === 301).map((r) => r.path)).toEqual(['/repos/acme/old-name']);
    expect(byId(first.c.steps).has('acme/new-name/branch-protection')).toBe(true);
    expect(first.c.steps.every((s) => s.artifact.meta.attributes['repository'] === 'acme/new-name')).toBe(true);
    expect(first.warnings).toHaveLength(1);
    expect(first.warnings[0]).toContain('"configured":"acme/old-name"');
    expect(first.warnings[0]).toContain('"current":"acme/new-name"');
    // The next run still follows the redirect (304 by ETag) and still warns, once.
    const second = await run(first.c.state);
    expect(second.warnings).toHaveLength(1);
  });

  describe('errors', () => {
    it('401: expired or revoked credentials are a CredentialsError', async () => {
      const fake = await startFake();
      fake.addRepo('acme', 'svc', {});
      const err = await collect(await makeConnector(fake, {}, 'ghp_expired')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CredentialsError);
      expect((err as Error).message).toMatch(
        /source "gh": GitHub rejected the credentials \(401 Bad credentials\) at GET \/orgs\/acme\/repos: the token from auth.token is invalid, expired or revoked/,
      );
    });

    it('403: names the missing fine-grained permission or OAuth scope', async () => {
      const fake = await startFake();
      fake.addRepo('acme', 'svc', {});
      fake.http.fail(/^\/repos\/acme\/svc\/dependabot/, {
        status: 403,
        headers: { 'x-accepted-github-permissions': 'vulnerability_alerts=read' },
        body: { message: 'Resource not accessible by personal access token' },
      });
      const err = await collect(await makeConnector(fake)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CredentialsError);
      expect((err as Error).message).toContain(
        'GitHub refused GET /repos/acme/svc/dependabot/alerts (403 Resource not accessible by personal access token)',
      );
      expect((err as Error).message).toContain('the token lacks the fine-grained permission vulnerability_alerts=read');

      fake.http.fail('/repos/acme/svc/branches/main/protection', {
        status: 403,
        headers: { 'x-accepted-oauth-scopes': 'repo', 'x-oauth-scopes': 'read:org' },
        body: { message: 'Must have admin rights to Repository.' },
      });
      const err2 = await collect(await makeConnector(fake)).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(CredentialsError);
      expect((err2 as Error).message).toContain(
        'this endpoint accepts one of the OAuth scopes [repo]; the token has [read:org]',
      );
    });

    it('404 on a configured repository or organisation is a SourceConfigError naming the config entry', async () => {
      const fake = await startFake();
      fake.addRepo('acme', 'svc', {});
      const err = await collect(await makeConnector(fake, { orgs: [], repositories: ['acme/svc', 'acme/nope'] })).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SourceConfigError);
      expect((err as Error).message).toMatch(
        /source "gh": repositories\[1\] "acme\/nope" was not found \(404 at GET \/repos\/acme\/nope\)/,
      );

      const err2 = await collect(await makeConnector(fake, { orgs: [{ name: 'acme' }, { name: 'ghost' }] })).catch(
        (e: unknown) => e,
      );
      expect(err2).toBeInstanceOf(SourceConfigError);
      expect((err2 as Error).message).toMatch(/orgs\[1\] "ghost" was not found \(404 at GET \/orgs\/ghost\/repos\)/);
    });

    it('a malformed, mis-shaped or truncated body fails that page with SourceResponseError naming the endpoint', async () => {
      const fake = await startFake();
      fake.addRepo('acme', 'svc', { pulls: mergedPulls(3) });
      const cases: [FakeResponse, RegExp][] = [
        [
          {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: '[{"number": 1, "title": "unterminated',
          },
          /returned a body that is not JSON \(.*\) \(malformed or truncated response\)/,
        ],
        [
          { status: 200, body: { unexpected: true } },
          /returned JSON of an unexpected shape \(malformed or truncated response\): \(body\): /,
        ],
        [
          { status: 200, body: [{ number: 'one' }] },
          /returned JSON of an unexpected shape \(malformed or truncated response\): 0\.number: /,
        ],
        [
          {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(mergedPulls(40)),
            truncate: true,
          },
          /returned a body cut off after \d+ bytes of \d+ \(truncated response: /,
        ],
      ];
      for (const [response, message] of cases) {
        fake.http.clearFaults();
        fake.http.fail(/^\/repos\/acme\/svc\/pulls\?/, response, 5);
        const err = await collect(await makeConnector(fake, { requests: { retries: 1 } })).catch((e: unknown) => e);
        expect(err, String(message)).toBeInstanceOf(SourceResponseError);
        expect((err as Error).message).toMatch(/^source "gh": GET \/repos\/acme\/svc\/pulls returned /);
        expect((err as Error).message).toMatch(message);
      }
    });

    it('GitHub App credentials that GitHub refuses are a CredentialsError', async () => {
      const fake = await startFake();
      fake.addRepo('acme', 'svc', {});
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
      fake.app = {
        appId: 42,
        installationId: 7,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      };
      const source = githubSourceSchema.parse({
        id: 'gh',
        type: 'github',
        baseUrl: fake.baseUrl,
        auth: { app: { appId: 42, privateKey: { file: 'app.pem' }, installationId: 7 } },
        orgs: [{ name: 'acme' }],
      });
      const wrongKey = other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const c1 = await createGithubConnector(source, async () => wrongKey, { retryAfterBaseMs: 1 });
      const err = await collect(c1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CredentialsError);
      expect((err as Error).message).toMatch(
        /GitHub refused an installation token \(401 .*\): the App JWT was rejected/,
      );

      const c2 = await createGithubConnector(
        { ...source, auth: { app: { appId: 42, privateKey: { file: 'app.pem' }, installationId: 8 } } },
        async () => privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        { retryAfterBaseMs: 1 },
      );
      const err2 = await collect(c2).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(CredentialsError);
      expect((err2 as Error).message).toMatch(/installation 8 does not exist or does not belong to App 42/);
    });
  });

  it('authenticates as a GitHub App installation against an Enterprise Server base URL', async () => {
    const fake = await startFake({ prefix: '/api/v3' });
    standardRepo(fake, 'acme', 'svc', 2);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fake.app = {
      appId: 42,
      installationId: 7,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
    const source = githubSourceSchema.parse({
      id: 'ghes',
      type: 'github',
      baseUrl: fake.baseUrl,
      auth: { app: { appId: '42', privateKey: { env: 'APP_KEY' }, installationId: 7 } },
      orgs: [{ name: 'acme' }],
    });
    const asked: string[] = [];
    // A key pasted into an environment variable with literal "\n" still works.
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString().replace(/\n/g, '\\n');
    const connector = await createGithubConnector(source, async (ref, what) => {
      asked.push(`${JSON.stringify(ref)} ${what}`);
      return pem;
    });
    const { steps } = await collect(connector);
    // The connector names the field only; the registry prefixes `sources.ghes.` (no double label).
    expect(asked).toEqual(['{"env":"APP_KEY"} auth.app.privateKey']);
    expect(fake.installationTokensIssued).toBe(1);
    expect(fake.baseUrl).toMatch(/\/api\/v3$/);
    expect(ofKind(steps, 'pull-request')).toHaveLength(2);
    expect(steps.every((s) => s.artifact.meta.provenance.endpoint.startsWith(`${fake.baseUrl}/repos/acme/svc`))).toBe(
      true,
    );
    expect(fake.http.requests.every((r) => r.path !== '/' && !r.path.startsWith('/api/v3'))).toBe(true);
  });

  it('resumes mid-pagination from a cursor instead of starting over', async () => {
    const fake = await startFake();
    fake.addRepo('acme', 'a-first', { pulls: mergedPulls(3) });
    fake.addRepo('acme', 'big', {
      pulls: mergedPulls(250, { daysAgoStart: 60, unapproved: [7, 180] }),
      protection: { requiredApprovingReviewCount: 1 },
    });
    fake.addRepo('acme', 'z-last', { pulls: mergedPulls(4) });
    const overrides: Overrides = {
      collect: { releases: false, tags: false, dependabotAlerts: false, environments: false, codeowners: false },
    };

    const reference = await collect(await makeConnector(fake, overrides));
    const allIds = reference.steps.map((s) => s.artifact.meta.externalId);

    // The first attempt dies on page 2 of acme/big's pull requests.
    fake.http.resetLog();
    // Newest first: PR 100 is the 151st, on page 2.
    const cut = allIds.indexOf('acme/big/pull/100') + 1;
    const interrupted = await collect(await makeConnector(fake, overrides), { stopAfter: cut });
    const cursor = interrupted.steps.at(-1)!.cursor;
    expect(JSON.parse(cursor)).toMatchObject({ repo: 'acme/big', sec: 'pulls', at: { phase: 'pr', after: 100 } });
    expect(cursor.length).toBeLessThan(4_000);

    fake.http.resetLog();
    const resumed = await collect(await makeConnector(fake, overrides), { resumeAfter: cursor });
    const ids = [...interrupted.steps, ...resumed.steps].map((s) => s.artifact.meta.externalId);
    expect(ids).toEqual(allIds);
    // No page before the cursor's page is asked again, and no review of an already collected PR.
    expect(fake.http.requestsTo(/^\/orgs/)).toHaveLength(1);
    expect(fake.http.requestsTo(/^\/repos\/acme\/a-first/)).toHaveLength(0);
    expect(
      fake.http.requestsTo(/^\/repos\/acme\/big\/pulls\?/).map((r) => new URLSearchParams(r.query).get('page')),
    ).toEqual(['2', '3']);
    expect(fake.http.requestsTo(/^\/repos\/acme\/big\/pulls\/\d+\/reviews/)).toHaveLength(99);
    // The summary counts the PRs of both attempts.
    expect(byId(resumed.steps).get('acme/big/pull-request-summary')!.artifact.meta.attributes).toMatchObject({
      merged: 250,
      mergedWithoutApproval: 2,
      unapprovedPullRequests: [7, 180],
    });

    // The resumed run's state makes the next run cheap for the resumed repository.
    fake.http.resetLog();
    const next = await collect(await makeConnector(fake, overrides), { previousState: resumed.state });
    expect(fake.http.requestsTo(/^\/repos\/acme\/big\/pulls\?/).map((r) => r.status)).toEqual([304]);
    expect(byId(next.steps).get('acme/big/pull-request-summary')!.artifact.meta.attributes).toMatchObject({
      merged: 250,
    });
  });

  it('acceptance: 50 repositories and 5,000 pull requests, then one new PR costs <5% of the billable requests and one new blob plus the changed summary', async () => {
    const fake = await startFake();
    for (let i = 0; i < 50; i++) standardRepo(fake, 'acme', `service-${String(i).padStart(2, '0')}`, 100);
    const store = await FilesystemStore.open(await tempDir());
    const overrides: Overrides = {
      collect: { workflowRuns: { workflows: ['evaluate.yml'] } },
      requests: { concurrency: 8 },
    };

    const first = await collect(await makeConnector(fake, overrides), { store });
    expect(ofKind(first.steps, 'pull-request')).toHaveLength(5000);
    expect(ofKind(first.steps, 'branch-protection')).toHaveLength(50);
    const firstBillable = first.stats['billableRequests']!;
    expect(firstBillable).toBe(fake.billable());
    expect(firstBillable).toBeGreaterThan(5000);

    // One new merged pull request in one repository.
    const repo = fake.repo('acme/service-17');
    const now = ago(0);
    repo.pulls.push({ ...mergedPulls(1, { from: 101 })[0]!, updatedAt: now, mergedAt: now, closedAt: now });
    fake.http.resetLog();
    const second = await collect(await makeConnector(fake, overrides), { store, previousState: first.state });

    const secondBillable = second.stats['billableRequests']!;
    expect(secondBillable).toBe(fake.billable());
    expect(secondBillable).toBeLessThan(0.05 * firstBillable);
    expect(fake.http.requests.filter((r) => r.status !== 304).map((r) => r.path)).toEqual([
      '/repos/acme/service-17/pulls',
      '/repos/acme/service-17/pulls/101/reviews',
    ]);
    expect(second.stats['notModified']).toBeGreaterThan(400);

    const newPr = byId(second.steps).get('acme/service-17/pull/101')!;
    const summary = byId(second.steps).get('acme/service-17/pull-request-summary')!;
    expect(ofKind(second.steps, 'pull-request')).toEqual([newPr]);
    expect(summary.artifact.meta.attributes).toMatchObject({ merged: 101, mergedWithoutApproval: 0 });
    expect(second.created.sort()).toEqual([sha256Hex(await content(newPr)), sha256Hex(await content(summary))].sort());
    // Everything else is still evidenced in this bundle, from blobs already stored.
    expect(ofKind(second.steps, 'branch-protection')).toHaveLength(50);
    expect(ofKind(second.steps, 'pull-request-summary')).toHaveLength(50);
    expect(JSON.stringify(second.state).length).toBeLessThan(400_000);
    // ~20 s on an idle 2-core machine: 5,650 first-run requests through Octokit's throttling and retry limiters.
  }, 150_000);

  it('proposes default mappings that are valid and select what the connector produces', async () => {
    const raw: unknown = parseYaml(
      await readFile(path.join(__dirname, '../../mappings/default/25-github.yaml'), 'utf8'),
    );
    const file = mappingFileSchema.parse(raw);
    const controls = new Set(loadCatalog().controls.map((c) => c.id));
    const selectorsOf = (rule: (typeof file.rules)[number]) =>
      Array.isArray(rule.select) ? rule.select : [rule.select];
    for (const rule of file.rules) {
      expect(rule.id).toMatch(/^github-/);
      for (const c of rule.controls) expect(controls.has(c), `${rule.id}: ${c}`).toBe(true);
      for (const sel of selectorsOf(rule)) {
        expect(sel.source).toBe('github');
        expect(githubKinds as readonly string[]).toContain(sel.kind);
      }
    }

    const fake = await startFake();
    richRepo(fake, ago(19), sha1('head'));
    standardRepo(fake, 'acme', 'clean', 2);
    const connector = await makeConnector(fake, {
      collect: { workflowRuns: { workflows: ['evaluate.yml'] }, files: { include: ['**/*.md'] } },
    });
    const { steps } = await collect(connector);
    const artifacts = steps.map((s) => ({
      source: 'gh',
      sourceType: 'github',
      kind: s.artifact.meta.kind,
      attributes: s.artifact.meta.attributes,
      id: s.artifact.meta.externalId,
    }));
    const matched = (ruleId: string) => {
      const rule = file.rules.find((r) => r.id === ruleId);
      // Documents in repositories extend the folder rules as alternatives (issue 16).
      const selectors = rule
        ? selectorsOf(rule)
        : file.extend
            .filter((e) => e.rule === ruleId)
            .flatMap((e) => (Array.isArray(e.select) ? e.select : [e.select]));
      const test = compileSelectors(selectors);
      return artifacts.filter(test).map((a) => a.id);
    };
    for (const rule of file.rules) expect(matched(rule.id), rule.id).not.toEqual([]);
    for (const ext of file.extend) expect(matched(ext.rule), ext.rule).not.toEqual([]);
    // The rules tell good from bad evidence, not just kinds apart.
    expect(matched('github-no-unreviewed-merges')).toEqual(['acme/clean/pull-request-summary']);
    expect(matched('github-dependency-alerts')).toEqual(['acme/clean/dependabot-alerts']);
    expect(matched('github-reviewed-merges')).toEqual(expect.arrayContaining(['acme/model-service/pull/1']));
    expect(matched('github-reviewed-merges')).not.toContain('acme/model-service/pull/2');
    expect(matched('model-cards')).toEqual(['acme/model-service/file/model-cards/fraud.md']);
    expect(matched('design-records')).toEqual(['acme/model-service/file/docs/adr/0001-use-onnx.md']);
    expect(matched('ai-policy-document')).toEqual(['acme/model-service/file/docs/policies/ai-policy.md']);
    expect(matched('ai-policy-review-record')).toEqual([
      'acme/model-service/file/docs/reviews/ai-policy-review-2026.md',
    ]);
    expect(matched('user-information')).toEqual(['acme/model-service/file/docs/user/instructions-for-use.md']);
    // Dated like folder documents: a front-matter date decides, else the commit time, unverified.
    const review = steps.find((s) => s.artifact.meta.externalId.endsWith('ai-policy-review-2026.md'))!;
    expect(review.artifact.meta.observedAt).toBe('2026-02-16T00:00:00.000Z');
    expect(review.artifact.meta.attributes).toMatchObject({
      dateSource: 'reviewed',
      observedAtFrom: 'front-matter:review_date',
    });
    const undated = steps.find((s) => s.artifact.meta.externalId.endsWith('lib/logging-config.md'))!;
    expect(undated.artifact.meta.attributes).toMatchObject({ dateSource: 'file-time', observedAtFrom: 'last-commit' });
    expect(undated.artifact.meta.observedAt).toBe('2026-02-23T10:00:00.000Z');
    expect(matched('github-protected-deployments')).toEqual([
      'acme/clean/environment/production',
      'acme/model-service/environment/production',
    ]);
  });

  it('validates its configuration: secrets only by reference, and some scope', () => {
    const parsed = githubSourceSchema.parse({
      id: 'gh',
      type: 'github',
      auth: { token: { env: 'GITHUB_TOKEN' } },
      repositories: ['acme/x'],
    });
    expect(parsed).toMatchObject({
      baseUrl: 'https://api.github.com',
      orgs: [],
      collect: { branchProtection: true, pullRequests: { window: '90d' }, workflowRuns: false, files: false },
      requests: { perPage: 100, retries: 3, concurrency: 2 },
    });
    const literal = githubSourceSchema.safeParse({
      id: 'gh',
      type: 'github',
      auth: { token: 'ghp_literal' },
      repositories: ['acme/x'],
    });
    expect(literal.error!.issues[0]).toMatchObject({
      path: ['auth', 'token'],
      message: expect.stringMatching(/secrets are never written in the config/),
    });
    const literalKey = githubSourceSchema.safeParse({
      id: 'gh',
      type: 'github',
      auth: { app: { appId: 1, privateKey: '-----BEGIN', installationId: 2 } },
      repositories: ['acme/x'],
    });
    expect(literalKey.error!.issues[0]).toMatchObject({ path: ['auth', 'app', 'privateKey'] });
    const both = githubSourceSchema.safeParse({ id: 'gh', type: 'github', auth: {}, repositories: ['acme/x'] });
    expect(both.error!.issues[0]!.message).toMatch(/exactly one of auth.token/);
    const noScope = githubSourceSchema.safeParse({ id: 'gh', type: 'github', auth: { token: { env: 'T' } } });
    expect(noScope.success).toBe(false);
    expect(noScope.error!.issues[0]!.message).toMatch(/orgs or repositories/);
    const badWindow = githubSourceSchema.safeParse({
      id: 'gh',
      type: 'github',
      auth: { token: { env: 'T' } },
      orgs: [{ name: 'acme' }],
      collect: { pullRequests: { window: '3 months' } },
    });
    expect(badWindow.success).toBe(false);
  });
});

/** One repository with every kind of evidence, including the awkward cases. */
function richRepo(fake: FakeGithub, published: string, head: string): FakeRepo {
  return fake.addRepo('acme', 'model-service', {
    topics: ['ai'],
    protection: {
      requiredApprovingReviewCount: 1,
      requireCodeOwnerReviews: true,
      requiredStatusChecks: ['ci/test'],
      strict: true,
      enforceAdmins: true,
    },
    rules: [
      {
        type: 'pull_request',
        parameters: {
          required_approving_review_count: 2,
          require_code_owner_review: false,
          dismiss_stale_reviews_on_push: true,
          require_last_push_approval: false,
          required_review_thread_resolution: false,
        },
        ruleset_id: 7,
        ruleset_source: 'acme',
        ruleset_source_type: 'Organization',
      },
      {
        type: 'required_status_checks',
        parameters: {
          required_status_checks: [{ context: 'eval/model' }],
          strict_required_status_checks_policy: false,
        },
        ruleset_id: 7,
        ruleset_source: 'acme',
        ruleset_source_type: 'Organization',
      },
      { type: 'deletion', ruleset_id: 7, ruleset_source: 'acme', ruleset_source_type: 'Organization' },
    ],
    pulls: [
      pull(1, { reviews: [{ user: 'bob', state: 'APPROVED', submittedAt: ago(5, 10) }] }),
      pull(2, { reviews: [] }),
      pull(3, {
        headSha: head,
        reviews: [
          { user: 'alice', state: 'APPROVED', submittedAt: ago(5, 10) },
          { user: 'carol', state: 'COMMENTED', submittedAt: ago(5, 9) },
        ],
      }),
      pull(4, { mergedAt: null }),
      pull(5, {
        reviews: [
          { user: 'bob', state: 'APPROVED', submittedAt: ago(5, 20) },
          { user: 'bob', state: 'CHANGES_REQUESTED', submittedAt: ago(5, 10) },
        ],
      }),
      pull(6, { reviews: [{ user: 'bob', state: 'APPROVED', submittedAt: ago(4) }] }),
      pull(7, { state: 'open', mergedAt: null, closedAt: null }),
      pull(8, { mergedAt: ago(200), updatedAt: ago(200), reviews: [] }),
    ],
    files: {
      '.github/CODEOWNERS': {
        content: '# owners\n* @acme/ml-leads\n/models/ @acme/ml\n',
        commits: [{ sha: sha1('c1'), date: '2026-01-10T08:00:00Z', author: 'carol' }],
      },
      'docs/policies/ai-policy.md': {
        content: '---\ntype: ai-policy\nowner: Risk Office\n---\n# AI policy\n',
        commits: [{ sha: sha1('c2'), date: '2026-02-01T09:30:00Z', author: 'dave' }],
      },
      'model-cards/fraud.md': {
        content: '---\ntype: model-card\n---\n# Fraud model card\n',
        commits: [{ sha: sha1('c3'), date: '2026-03-03T10:00:00Z', author: 'erin' }],
      },
      'docs/adr/0001-use-onnx.md': {
        content: '---\ntype: design-record\n---\n# Use ONNX for serving\n',
        commits: [{ sha: sha1('c5'), date: '2026-02-20T10:00:00Z', author: 'erin' }],
      },
      // Matched by type only (issue 16, item 8): a file named like a policy review without one is not.
      'docs/reviews/ai-policy-review-2026.md': {
        content:
          '---\ntype: policy-review\nreview_date: 2026-02-16\nreviewer: AI Governance Board\noutcome: no change\n---\n# Review\n',
        commits: [{ sha: sha1('c6'), date: '2026-02-21T10:00:00Z', author: 'dave' }],
      },
      'docs/user/instructions-for-use.md': {
        content: '---\ntype: user-information\neffective_date: 2026-02-01\n---\n# Instructions\n',
        commits: [{ sha: sha1('c7'), date: '2026-02-22T10:00:00Z', author: 'dave' }],
      },
      'lib/logging-config.md': {
        content: '# Logging config of the library\n',
        commits: [{ sha: sha1('c8'), date: '2026-02-23T10:00:00Z', author: 'dave' }],
      },
      'src/app.py': {
        content: 'print(1)\n',
        commits: [{ sha: sha1('c4'), date: '2026-03-04T10:00:00Z', author: 'erin' }],
      },
    },
    releases: [
      {
        id: 11,
        tag: 'v1.0.0',
        name: 'First',
        createdAt: ago(20),
        publishedAt: published,
        draft: false,
        prerelease: false,
        author: 'alice',
        assets: ['model.onnx'],
      },
      {
        id: 12,
        tag: 'v1.1.0-rc1',
        name: 'RC',
        createdAt: ago(3),
        publishedAt: ago(3),
        draft: false,
        prerelease: true,
        author: 'alice',
        assets: [],
      },
      {
        id: 13,
        tag: 'v2.0.0',
        name: 'Draft',
        createdAt: ago(1),
        publishedAt: null,
        draft: true,
        prerelease: false,
        author: 'alice',
        assets: [],
      },
    ],
    tags: [
      { name: 'v1.1.0-rc1', sha: sha1('t2') },
      { name: 'v1.0.0', sha: sha1('t1') },
    ],
    workflows: [
      {
        id: 90,
        file: 'evaluate.yml',
        name: 'Model evaluation',
        runs: [
          run(901, {
            conclusion: 'success',
            artifacts: ['eval-report', 'metrics'],
            createdAt: ago(2),
            updatedAt: ago(2, -30),
          }),
          run(902, { conclusion: 'failure', artifacts: [], createdAt: ago(1), updatedAt: ago(1, -5) }),
          run(903, { status: 'in_progress', conclusion: null, createdAt: ago(0, 10), updatedAt: ago(0, 5) }),
          run(904, { conclusion: 'success', createdAt: ago(120), updatedAt: ago(120) }),
        ],
      },
    ],
    dependabot: {
      enabled: true,
      alerts: [
        alert(1, 'critical', ago(40)),
        alert(2, 'high', ago(5)),
        { ...alert(3, 'low', ago(90)), state: 'fixed' },
      ],
    },
    environments: [
      {
        name: 'production',
        createdAt: ago(300),
        updatedAt: ago(30),
        reviewers: [
          { type: 'User', login: 'alice' },
          { type: 'Team', login: 'ml-leads' },
        ],
        preventSelfReview: true,
        waitTimer: 10,
        branchPolicy: { protectedBranches: true, customBranchPolicies: false },
      },
      { name: 'staging', createdAt: ago(300), updatedAt: ago(300), reviewers: [], branchPolicy: null },
    ],
  });
}

function fakeRepoPull(fake: FakeGithub, n: number): FakePull {
  return fake.repo('acme/model-service').pulls.find((p) => p.number === n)!;
}

function pull(number: number, p: Partial<FakePull>): FakePull {
  const mergedAt = p.mergedAt === undefined ? ago(5) : p.mergedAt;
  return {
    number,
    title: `PR ${number}`,
    author: 'alice',
    state: 'closed',
    createdAt: ago(10),
    updatedAt: p.updatedAt ?? ago(5, -number),
    closedAt: ago(5),
    mergedAt,
    base: 'main',
    headRef: `f-${number}`,
    headSha: sha1(`head-${number}`),
    labels: [],
    reviews: [],
    ...p,
  };
}

function run(id: number, r: Partial<FakeRun>): FakeRun {
  return {
    id,
    runNumber: id - 900,
    runAttempt: 1,
    event: 'push',
    status: 'completed',
    conclusion: 'success',
    headBranch: 'main',
    headSha: sha1(`run-${id}`),
    createdAt: ago(1),
    updatedAt: ago(1),
    actor: 'alice',
    artifacts: [],
    ...r,
  };
}

function alert(number: number, severity: FakeAlert['severity'], createdAt: string): FakeAlert {
  return {
    number,
    state: 'open',
    severity,
    ecosystem: 'pip',
    package: `pkg-${number}`,
    manifestPath: 'requirements.txt',
    ghsaId: `GHSA-${number}`,
    cveId: null,
    summary: `advisory ${number}`,
    createdAt,
  };
}
