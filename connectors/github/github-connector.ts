import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import picomatch from 'picomatch';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../core/digest';
import { parseDuration } from '../../core/duration';
import type { SecretRef } from '../../core/secrets';
import { SourceResponseError } from '../../core/errors';
import { mediaTypeFor } from '../../core/media-types';
import type {
  ArtifactMeta,
  CollectOptions,
  CollectedArtifact,
  CollectionStep,
  Connector,
  ConnectorStats,
} from '../types';
import type { JsonValue } from '../../core/json';
import {
  blobSchema,
  branchProtectionSchema,
  branchRulesSchema,
  commitListSchema,
  dependabotAlertListSchema,
  environmentListSchema,
  fullRepoSchema,
  pullListSchema,
  releaseListSchema,
  repoListSchema,
  reviewListSchema,
  runArtifactsSchema,
  tagListSchema,
  treeSchema,
  workflowRunsSchema,
  type MinimalRepo,
  type Pull,
  type Review,
} from './api-schemas';
import {
  GithubClient,
  githubApiVersion,
  githubCollector,
  type GetResult,
  type GithubAuth,
  type OkResult,
  type RequestSpec,
} from './client';
import type { GithubSourceConfig } from './config';
import {
  absentCodeowners,
  codeownersAttributes,
  codeownersPaths,
  disabledDependabot,
  fileAttributes,
  iso,
  normalizeBranchProtection,
  normalizeDependabot,
  normalizeEnvironment,
  normalizePull,
  normalizeRelease,
  normalizeRun,
  normalizeTags,
  pruneTally,
  summarizePulls,
  tallyPull,
  withAlertAges,
  type Attributes,
  type LastCommit,
  type Normalized,
  type PullTally,
} from './normalize';
import {
  advanceWatermark,
  emptyState,
  githubStateSchema,
  isSeen,
  pullsStateSchema,
  type CompactRepo,
  type GithubState,
  type PageEtag,
  type PullsState,
  type RepoState,
  type Seen,
  type StoredItem,
  type Watermark,
} from './state';

export { githubCollector } from './client';

/** Knobs that are not configuration: tests shrink the backoff and fix the clock. */
export interface GithubTuning {
  /** Milliseconds per second of Retry-After, x-ratelimit-reset waits and retry backoff (default 1000). */
  retryAfterBaseMs?: number;
  now?: () => Date;
}

/** Resolves the source's secrets and builds the connector. */
export async function createGithubConnector(
  source: GithubSourceConfig,
  resolveSecret: (ref: SecretRef, what: string) => Promise<string>,
  tuning: GithubTuning = {},
): Promise<GithubConnector> {
  const { token, app } = source.auth;
  const auth: GithubAuth = token
    ? { token: await resolveSecret(token, `source "${source.id}" auth.token`) }
    : {
        app: {
          appId: app!.appId,
          privateKey: await resolveSecret(app!.privateKey, `source "${source.id}" auth.app.privateKey`),
          installationId: app!.installationId,
        },
      };
  return new GithubConnector(source, auth, tuning);
}

/** Order of the evidence sections within one repository; a cursor names one of them. */
const sections = ['protection', 'pulls', 'tree', 'releases', 'tags', 'runs', 'dependabot', 'environments'] as const;
type Section = (typeof sections)[number];

const cursorSchema = z.object({ v: z.literal(1), repo: z.string(), sec: z.enum(sections), at: z.json() });
type Cursor = z.infer<typeof cursorSchema>;

/** Progress through one repository's merged pull requests; travels in the cursor so a resume continues. */
const pullAccSchema = z.object({
  etag: z.string().optional(),
  date: z.string().optional(),
  cutoff: z.number(),
  prevHw: z.number().optional(),
  prevSeen: z.array(z.tuple([z.union([z.number(), z.string()]), z.number()])),
  newHw: z.number().optional(),
  newAtHw: z.array(z.number()),
  prevMergedHw: z.number().optional(),
  prevMergedAtHw: z.array(z.number()),
  newMergedHw: z.number().optional(),
  newMergedAtHw: z.array(z.number()),
  tally: z.object({
    days: z.record(z.string(), z.tuple([z.number(), z.number()])),
    unapproved: z.array(z.tuple([z.number(), z.string()])),
  }),
});
type PullAcc = z.infer<typeof pullAccSchema>;
const pullResumeSchema = z.union([
  z.object({ phase: z.literal('pr'), page: z.string(), after: z.number(), acc: pullAccSchema }),
  z.object({ phase: z.literal('done'), acc: pullAccSchema }),
]);
const pageResumeSchema = z.object({ page: z.string(), after: z.string() });
const runResumeSchema = z.object({ wf: z.number().int(), page: z.string(), after: z.string() });

/** Workflow runs can finish long after they were created; runs this recent are looked at again. */
const runLookbackMs = 24 * 3_600_000;

interface RepoCtx {
  repo: CompactRepo;
  key: string;
  entry: string;
  /** `/repos/{owner}/{repo}`, encoded. */
  base: string;
}

interface Run {
  options: CollectOptions;
  now: Date;
  spec: (ctx: RepoCtx) => RequestSpec;
}

interface Step {
  artifact: CollectedArtifact;
  at: JsonValue;
}

interface Emitted {
  artifact: CollectedArtifact;
  stored: StoredItem;
}

type Snapshot<I> =
  | { kind: 'fresh'; items: I[]; pages: PageEtag[]; date?: string; etag?: string }
  | { kind: 'not-modified'; pages: PageEtag[]; date?: string; etag?: string }
  | { kind: 'status'; status: number; message: string; date?: string };

const silent = pino({ level: 'silent' });

/**
 * Audit evidence from GitHub (or GitHub Enterprise Server): default-branch protection and rulesets,
 * merged pull requests and their reviews, CODEOWNERS, releases and tags, workflow runs, Dependabot
 * alerts, policy files and deployment environments, for the configured organisations and repositories.
 *
 * Repositories are visited in order of their lower-cased full name and, within one, section by section
 * (`sections`), so the cursor `{repo, sec, at}` resumes an interrupted collection where it stopped,
 * including in the middle of a paginated list. Between runs, `state()` keeps ETags and watermarks: an
 * unchanged list costs a 304 (free of rate limit) and its artifacts are re-emitted from the store.
 */
export class GithubConnector implements Connector {
  readonly type = 'github';
  private readonly client: GithubClient;
  private log: Logger = silent;
  private readonly now: () => Date;
  private finalState: GithubState | undefined;
  private openStoredBlob: ((sha256: string) => Readable) | undefined;
  private readonly counters = { artifacts: 0, reemitted: 0 };

  constructor(
    private readonly cfg: GithubSourceConfig,
    auth: GithubAuth,
    tuning: GithubTuning = {},
  ) {
    this.now = tuning.now ?? (() => new Date());
    this.client = new GithubClient({
      sourceId: cfg.id,
      baseUrl: cfg.baseUrl,
      auth,
      retries: cfg.requests.retries,
      concurrency: cfg.requests.concurrency,
      maxRateLimitWaitSeconds: cfg.requests.maxRateLimitWaitSeconds,
      retryAfterBaseMs: tuning.retryAfterBaseMs ?? 1000,
      log: () => this.log,
    });
  }

  /** Read after `collect` has finished; null when it did not finish. */
  state(): JsonValue {
    return this.finalState === undefined ? null : (JSON.parse(JSON.stringify(this.finalState)) as JsonValue);
  }

  stats(): ConnectorStats {
    const s = this.client.stats;
    return {
      requests: s.requests,
      billableRequests: s.billableRequests,
      notModified: s.notModified,
      ...(s.rateLimitRemaining !== undefined ? { rateLimitRemaining: s.rateLimitRemaining } : {}),
      rateLimitWaits: s.rateLimitWaits,
      retries: s.retries,
      artifacts: this.counters.artifacts,
      reemitted: this.counters.reemitted,
    };
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    this.log = options.log;
    this.openStoredBlob = options.openStoredBlob;
    this.finalState = undefined;
    const prev = this.previousState(options);
    const resume = this.parseCursor(options.resumeAfter);
    const next = emptyState();
    // Repositories ahead of the one being yielded are collected in the background (bounded by
    // requests.concurrency); stopping early aborts their requests.
    const internal = new AbortController();
    const onAbort = () => internal.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const signal = internal.signal;
    const run: Run = { options, now: this.now(), spec: (ctx) => ({ entry: ctx.entry, signal }) };
    const todo: { ctx: RepoCtx; buffer?: Prefetch<CollectionStep, RepoState> }[] = [];
    try {
      const repos = await this.resolveRepos(prev, next, signal);
      this.log.info(
        {
          source: this.cfg.id,
          repositories: repos.length,
          resumeAfter: resume ? `${resume.repo}/${resume.sec}` : undefined,
        },
        'collecting from GitHub',
      );
      for (const ctx of repos) {
        if (resume && ctx.key < resume.repo) {
          // Done by the interrupted attempt: the previous state stays (older ETags only cost a refetch).
          if (prev.repos[ctx.key]) next.repos[ctx.key] = prev.repos[ctx.key]!;
        } else todo.push({ ctx });
      }
      const ahead = this.cfg.requests.concurrency;
      for (const [i, item] of todo.entries()) {
        for (const later of todo.slice(i, i + ahead)) {
          later.buffer ??= new Prefetch(this.collectRepo(later.ctx, prev.repos[later.ctx.key] ?? {}, resume, run));
        }
        next.repos[item.ctx.key] = yield* item.buffer!.drain(signal);
        item.buffer = undefined;
      }
    } finally {
      for (const item of todo) item.buffer?.cancel();
      internal.abort(new Error('collection ended'));
      options.signal?.removeEventListener('abort', onAbort);
    }
    this.finalState = next;
    this.log.info({ source: this.cfg.id, ...this.stats() }, 'GitHub collection finished');
  }

  /** One repository, section by section; returns the repository's next state. */
  private async *collectRepo(
    ctx: RepoCtx,
    prevRepo: RepoState,
    resume: Cursor | undefined,
    run: Run,
  ): AsyncGenerator<CollectionStep, RepoState> {
    const here = resume !== undefined && resume.repo === ctx.key;
    const nextRepo: Record<string, unknown> = {};
    for (const [i, sec] of sections.entries()) {
      if (!this.enabled(sec)) continue;
      const prevSec = (prevRepo as Record<string, unknown>)[sec];
      if (here && i < sections.indexOf(resume.sec)) {
        if (prevSec !== undefined) nextRepo[sec] = prevSec;
        continue;
      }
      const at = here && sec === resume.sec ? resume.at : undefined;
      const gen = this.section(sec, ctx, prevSec, at, run);
      for (let r = await gen.next(); ; r = await gen.next()) {
        if (r.done) {
          if (r.value !== undefined) nextRepo[sec] = r.value;
          break;
        }
        const cursor: Cursor = { v: 1, repo: ctx.key, sec, at: r.value.at };
        yield { artifact: r.value.artifact, cursor: JSON.stringify(cursor) };
      }
    }
    return nextRepo as RepoState;
  }

  private enabled(sec: Section): boolean {
    const c = this.cfg.collect;
    switch (sec) {
      case 'protection':
        return c.branchProtection;
      case 'pulls':
        return c.pullRequests !== false;
      case 'tree':
        return c.codeowners || c.files !== false;
      case 'releases':
        return c.releases;
      case 'tags':
        return c.tags;
      case 'runs':
        return c.workflowRuns !== false;
      case 'dependabot':
        return c.dependabotAlerts;
      case 'environments':
        return c.environments;
    }
  }

  private section(
    sec: Section,
    ctx: RepoCtx,
    prev: unknown,
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, unknown> {
    const p = prev as never;
    switch (sec) {
      case 'protection':
        return this.protection(ctx, p, at, run);
      case 'pulls':
        return this.pulls(ctx, p, at, run);
      case 'tree':
        return this.tree(ctx, p, at, run);
      case 'releases':
        return this.releases(ctx, p, at, run);
      case 'tags':
        return this.tags(ctx, p, at, run);
      case 'runs':
        return this.runs(ctx, p, at, run);
      case 'dependabot':
        return this.dependabot(ctx, p, at, run);
      case 'environments':
        return this.environments(ctx, p, at, run);
    }
  }

  private previousState(options: CollectOptions): GithubState {
    if (options.previousState === undefined || options.previousState === null) return emptyState();
    const parsed = githubStateSchema.safeParse(options.previousState);
    if (!parsed.success) {
      options.log.warn(
        { source: this.cfg.id, issue: parsed.error.issues[0]?.message },
        'previous GitHub state not understood; collecting everything again',
      );
      return emptyState();
    }
    const state = parsed.data;
    if (!options.openStoredBlob) {
      // Without the store, a 304 could not be answered with the stored artifact: forget those ETags.
      for (const repo of Object.values(state.repos)) {
        delete repo.protection;
        delete repo.tree;
        delete repo.tags;
        delete repo.dependabot;
        delete repo.environments;
      }
    }
    return state;
  }

  private parseCursor(text: string | undefined): Cursor | undefined {
    if (text === undefined) return undefined;
    try {
      return cursorSchema.parse(JSON.parse(text));
    } catch {
      this.log.warn(
        { source: this.cfg.id, cursor: text.slice(0, 200) },
        'resume cursor not understood; collecting from the start',
      );
      return undefined;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Scope

  private async resolveRepos(prev: GithubState, next: GithubState, abort: AbortSignal): Promise<RepoCtx[]> {
    const found = new Map<string, RepoCtx>();
    const add = (repo: CompactRepo, entry: string) => {
      const key = repo.fullName.toLowerCase();
      if (found.has(key)) return;
      const [owner, name] = repo.fullName.split('/') as [string, string];
      found.set(key, { repo, key, entry, base: `/repos/${enc(owner)}/${enc(name)}` });
    };
    const signal = { signal: abort };
    for (const [i, org] of this.cfg.orgs.entries()) {
      const entry = `orgs[${i}] "${org.name}"`;
      const key = `org:${org.name.toLowerCase()}`;
      const scope = fingerprint(org);
      const prevListing = prev.listings[key]?.scope === scope ? prev.listings[key] : undefined;
      const first = `/orgs/${enc(org.name)}/repos?type=all&sort=full_name&direction=asc&per_page=${this.cfg.requests.perPage}`;
      const res = await this.snapshot(first, repoListSchema, (d) => d, prevListing?.pages, {
        entry,
        notFoundIsConfig: true,
        ...signal,
      });
      let repos: CompactRepo[];
      if (res.kind === 'not-modified') repos = prevListing!.repos;
      else if (res.kind === 'fresh') {
        const named = picomatch(org.repositories, { nocase: true, dot: true });
        const excluded = org.exclude.length > 0 ? picomatch(org.exclude, { nocase: true, dot: true }) : () => false;
        const topics = new Set(org.topics.map((t) => t.toLowerCase()));
        repos = res.items
          .filter(
            (r) =>
              named(r.name) &&
              !excluded(r.name) &&
              (topics.size === 0 || (r.topics ?? []).some((t) => topics.has(t.toLowerCase()))) &&
              (org.includeArchived || r.archived !== true) &&
              (org.includeForks || !r.fork),
          )
          .map(compact);
      } else
        throw new SourceResponseError(
          `source "${this.cfg.id}": ${entry}: listing repositories answered ${res.status} ${res.message}`,
        );
      next.listings[key] = { scope, pages: res.pages, repos };
      if (repos.length === 0)
        this.log.warn({ source: this.cfg.id, entry }, 'no repository of the organisation matches the configured scope');
      for (const r of repos) add(r, `${entry} → ${r.fullName}`);
    }
    for (const [i, full] of this.cfg.repositories.entries()) {
      const entry = `repositories[${i}] "${full}"`;
      const key = `repo:${full.toLowerCase()}`;
      const [owner, name] = full.split('/') as [string, string];
      const prevListing = prev.listings[key];
      const url = this.client.url(`/repos/${enc(owner)}/${enc(name)}`);
      const etag = prevListing?.pages[0]?.url === url ? prevListing.pages[0].etag : undefined;
      const res = await this.client.get(url, fullRepoSchema, {
        entry,
        notFoundIsConfig: true,
        ...signal,
        ...(etag ? { etag } : {}),
      });
      let repo: CompactRepo;
      let pages: PageEtag[];
      if (res.kind === 'not-modified') {
        repo = prevListing!.repos[0]!;
        pages = prevListing!.pages;
      } else {
        const fresh = ok(res);
        repo = compact(fresh.data);
        pages = fresh.etag ? [{ url, etag: fresh.etag, n: 1 }] : [];
      }
      next.listings[key] = { scope: 'repository', pages, repos: [repo] };
      add(repo, entry);
    }
    return [...found.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  // -------------------------------------------------------------------------------------------------
  // Sections. Each yields artifacts with a resume point `at`, and returns the section's next state.

  private async *protection(
    ctx: RepoCtx,
    prev: RepoState['protection'],
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, RepoState['protection']> {
    if (at !== undefined) return prev; // its single artifact was emitted before the interruption
    const branch = ctx.repo.defaultBranch;
    const classicUrl = `${ctx.base}/branches/${enc(branch)}/protection`;
    const rulesUrl = `${ctx.base}/rules/branches/${enc(branch)}?per_page=${this.cfg.requests.perPage}`;
    const spec = run.spec(ctx);
    // 404: the branch is not protected (or does not exist yet). 403 with "upgrade": not on this plan.
    const allow = (status: number, message: string) =>
      status === 404 || (status === 403 && /upgrade|not available|enable this feature/i.test(message));
    let classic = await this.client.get(classicUrl, branchProtectionSchema, {
      ...spec,
      allow,
      ...(prev?.classicEtag ? { etag: prev.classicEtag } : {}),
    });
    // 404: an Enterprise Server without rulesets (before 3.9): no rules apply.
    let rules = await this.snapshot(rulesUrl, branchRulesSchema, (d) => d, prev?.rules, { ...spec, allow: [404] });
    const classicSame =
      classic.kind === 'not-modified' ||
      (classic.kind !== 'ok' && prev?.classicAbsent === true && prev.classicEtag === undefined);
    if (prev && classicSame && rules.kind === 'not-modified') {
      const e = this.reemit(prev.item, {
        observedAt: this.dateOf(classic.date, run),
        ...(classic.kind === 'not-modified' && classic.etag ? { etag: classic.etag } : {}),
      });
      yield { artifact: e.artifact, at: 'done' };
      return { ...prev, item: e.stored };
    }
    // Something changed: the part that answered 304 is read again, so the record is built whole.
    if (classic.kind === 'not-modified')
      classic = await this.client.get(classicUrl, branchProtectionSchema, { ...spec, allow });
    if (rules.kind === 'not-modified')
      rules = await this.snapshot(rulesUrl, branchRulesSchema, (d) => d, undefined, { ...spec, allow: [404] });
    const ruleItems = rules.kind === 'fresh' ? rules.items : [];
    const classicData = classic.kind === 'ok' ? ok(classic).data : undefined;
    const n = normalizeBranchProtection(ctx.repo.fullName, branch, classicData, ruleItems);
    const classicEtag = classic.kind === 'ok' ? ok(classic).etag : undefined;
    const e = this.emitJson(
      'branch-protection',
      `${ctx.repo.fullName}/branch-protection`,
      this.dateOf(classic.date, run),
      classicUrl,
      classicEtag,
      n,
    );
    yield { artifact: e.artifact, at: 'done' };
    return {
      ...(classicEtag ? { classicEtag } : {}),
      classicAbsent: classic.kind !== 'ok',
      ...(rules.kind === 'fresh' ? { rules: rules.pages } : {}),
      item: e.stored,
    };
  }

  private async *pulls(
    ctx: RepoCtx,
    prev: PullsState | undefined,
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, PullsState | undefined> {
    const cfg = this.cfg.collect.pullRequests;
    if (cfg === false) return undefined;
    const windowStart = run.now.getTime() - parseDuration(cfg.window)!;
    const full = ctx.repo.fullName;
    const spec = run.spec(ctx);
    const first = this.client.url(
      `${ctx.base}/pulls?state=closed&sort=updated&direction=desc&per_page=${this.cfg.requests.perPage}`,
    );
    const resume = at === undefined ? undefined : pullResumeSchema.parse(at);
    let acc: PullAcc;
    let url: string | undefined;
    let page: GetResult<Pull[]> | undefined;
    let after: number | undefined;
    if (resume) {
      acc = resume.acc;
      if (resume.phase === 'done') return this.pullsState(acc, windowStart);
      url = resume.page;
      after = resume.after;
    } else {
      acc = {
        cutoff: prev?.hw !== undefined ? Math.max(windowStart, prev.hw) : windowStart,
        ...(prev?.hw !== undefined ? { prevHw: prev.hw } : {}),
        prevSeen: prev?.seen ?? [],
        newAtHw: [],
        ...(prev?.mergedHw !== undefined ? { prevMergedHw: prev.mergedHw } : {}),
        prevMergedAtHw: prev?.mergedAtHw ?? [],
        newMergedAtHw: [],
        tally: { days: structuredClone(prev?.days ?? {}), unapproved: structuredClone(prev?.unapproved ?? []) },
      };
      page = await this.client.get(first, pullListSchema, { ...spec, ...(prev?.etag ? { etag: prev.etag } : {}) });
      if (page.kind === 'not-modified') {
        // Sorted by last update: an unchanged first page means no pull request changed since the last run.
        acc.etag = prev!.etag;
        if (page.date) acc.date = page.date;
        const s = summarizePulls(full, cfg.window, windowStart, acc.tally);
        const e = this.emitJson(
          'pull-request-summary',
          `${full}/pull-request-summary`,
          this.dateOf(page.date, run),
          first,
          acc.etag,
          s,
        );
        yield { artifact: e.artifact, at: { phase: 'done', acc } };
        return this.pullsState(acc, windowStart);
      }
      const okPage = ok(page);
      if (okPage.etag) acc.etag = okPage.etag;
      if (okPage.date) acc.date = okPage.date;
      url = first;
    }

    const counted = new Set<number>();
    while (url) {
      const res: OkResult<Pull[]> = ok(page ?? (await this.client.get(url, pullListSchema, spec)));
      page = undefined;
      let items = res.data;
      if (after !== undefined) {
        const idx = items.findIndex((p) => p.number === after);
        if (idx >= 0) items = items.slice(idx + 1);
        after = undefined;
      }
      let stop = false;
      const todo: Pull[] = [];
      for (const pr of items) {
        const ts = Date.parse(pr.updated_at);
        if (ts < acc.cutoff) {
          stop = true;
          break;
        }
        if (isSeen(acc.prevSeen, pr.number, ts)) continue;
        [acc.newHw, acc.newAtHw] = bump(acc.newHw, acc.newAtHw, ts, pr.number);
        if (pr.merged_at === null || Date.parse(pr.merged_at) < windowStart) continue;
        todo.push(pr);
      }
      const reviews = await mapLimit(todo, this.cfg.requests.concurrency, (pr) =>
        this.listAll(`${ctx.base}/pulls/${pr.number}/reviews?per_page=100`, reviewListSchema, (d): Review[] => d, spec),
      );
      for (const [i, pr] of todo.entries()) {
        const n = normalizePull(full, ctx.repo.defaultBranch, pr, reviews[i]!);
        const mergedMs = Date.parse(pr.merged_at!);
        const newMerge =
          acc.prevMergedHw === undefined ||
          mergedMs > acc.prevMergedHw ||
          (mergedMs === acc.prevMergedHw && !acc.prevMergedAtHw.includes(pr.number));
        if (newMerge && !counted.has(pr.number)) {
          counted.add(pr.number);
          tallyPull(acc.tally as PullTally, pr.number, pr.merged_at!, n.attributes['approved'] === true);
          [acc.newMergedHw, acc.newMergedAtHw] = bump(acc.newMergedHw, acc.newMergedAtHw, mergedMs, pr.number);
        }
        const e = this.emitJson(
          'pull-request',
          `${full}/pull/${pr.number}`,
          iso(pr.merged_at!),
          `${ctx.base}/pulls/${pr.number}`,
          undefined,
          n,
        );
        yield { artifact: e.artifact, at: { phase: 'pr', page: res.url, after: pr.number, acc } };
      }
      url = stop ? undefined : res.next;
    }
    const s = summarizePulls(full, cfg.window, windowStart, acc.tally);
    const e = this.emitJson(
      'pull-request-summary',
      `${full}/pull-request-summary`,
      this.dateOf(acc.date, run),
      first,
      acc.etag,
      s,
    );
    yield { artifact: e.artifact, at: { phase: 'done', acc } };
    return this.pullsState(acc, windowStart);
  }

  private pullsState(acc: PullAcc, windowStart: number): PullsState {
    const tally = pruneTally(acc.tally as PullTally, windowStart);
    const [hw, seen] = merge(acc.prevHw, acc.prevSeen, acc.newHw, acc.newAtHw);
    const [mergedHw, mergedAtHw] = merge(
      acc.prevMergedHw,
      acc.prevMergedAtHw.map((n) => [n, acc.prevMergedHw ?? 0] as [number, number]),
      acc.newMergedHw,
      acc.newMergedAtHw,
    );
    return pullsStateSchema.parse({
      ...(acc.etag ? { etag: acc.etag } : {}),
      ...(hw !== undefined ? { hw } : {}),
      seen,
      ...(mergedHw !== undefined ? { mergedHw } : {}),
      mergedAtHw: mergedAtHw.map(([n]) => Number(n)),
      days: tally.days,
      unapproved: tally.unapproved,
    });
  }

  private async *tree(
    ctx: RepoCtx,
    prev: RepoState['tree'],
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, RepoState['tree']> {
    const wantCodeowners = this.cfg.collect.codeowners;
    const files = this.cfg.collect.files;
    const full = ctx.repo.fullName;
    const branch = ctx.repo.defaultBranch;
    const resumeAfter = typeof at === 'string' ? at : undefined;
    const skip = (key: string) => resumeAfter !== undefined && key <= resumeAfter;
    const coKey = '\u0000codeowners';
    const scope = fingerprint({ wantCodeowners, files });
    const usable = prev?.scope === scope ? prev : undefined;
    const spec = run.spec(ctx);
    const treeUrl = `${ctx.base}/git/trees/${enc(branch)}?recursive=1`;
    // 404: the branch does not exist; 409: the repository is empty. Both: no files.
    const res = await this.client.get(treeUrl, treeSchema, {
      ...spec,
      allow: [404, 409],
      ...(usable?.etag ? { etag: usable.etag } : {}),
    });
    const date = this.dateOf(res.date, run);
    const etag = res.kind === 'ok' || res.kind === 'not-modified' ? (res as { etag?: string }).etag : undefined;
    const include = files ? picomatch(files.include, { dot: true }) : () => false;
    const exclude = files && files.exclude.length > 0 ? picomatch(files.exclude, { dot: true }) : () => false;

    if (res.kind === 'not-modified' && usable) {
      const nextState = { ...usable, files: { ...usable.files } };
      if (wantCodeowners && usable.codeowners && !skip(coKey)) {
        const e = this.reemit(usable.codeowners.item, { observedAt: date, ...(etag ? { etag } : {}) });
        nextState.codeowners = { ...usable.codeowners, item: e.stored };
        yield { artifact: e.artifact, at: coKey };
      }
      for (const p of Object.keys(usable.files).sort()) {
        if (skip(p)) continue;
        const e = this.reemit(usable.files[p]!.item, {});
        yield { artifact: e.artifact, at: p };
      }
      return resumeAfter !== undefined ? prev : nextState;
    }

    const entries = res.kind === 'ok' ? ok(res).data.tree.filter((e) => e.type === 'blob') : [];
    if (res.kind === 'ok' && ok(res).data.truncated) {
      this.log.warn(
        { source: this.cfg.id, repository: full },
        'the repository tree is too large for one answer (truncated): some files may be missed',
      );
    }
    const nextState: NonNullable<RepoState['tree']> = { ...(etag ? { etag } : {}), scope, files: {} };
    if (wantCodeowners && !skip(coKey)) {
      const entry = codeownersPaths.map((p) => entries.find((e) => e.path === p)).find((e) => e !== undefined);
      let e: Emitted;
      if (!entry) {
        e = this.emitJson('codeowners', `${full}/codeowners`, date, treeUrl, etag, absentCodeowners(full, branch));
      } else if (usable?.codeowners?.blobSha === entry.sha) {
        e = this.reemit(usable.codeowners.item, { observedAt: date, ...(etag ? { etag } : {}) });
      } else {
        const [content, last] = await Promise.all([
          this.blob(ctx, entry.sha, spec),
          this.lastCommit(ctx, entry.path, spec),
        ]);
        const attributes = codeownersAttributes(full, entry.path, content.toString('utf8'), entry.sha, last);
        e = this.emitBytes(
          'codeowners',
          `${full}/codeowners`,
          date,
          `${ctx.base}/contents/${entry.path}`,
          etag,
          content,
          'text/plain',
          attributes,
        );
      }
      nextState.codeowners = { ...(entry ? { blobSha: entry.sha } : {}), item: e.stored };
      yield { artifact: e.artifact, at: coKey };
    }
    if (files) {
      const matched = entries
        .filter((e) => include(e.path) && !exclude(e.path))
        .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const width = this.cfg.requests.concurrency;
      for (let i = 0; i < matched.length; i += width) {
        const batch = matched.slice(i, i + width).filter((e) => !skip(e.path));
        const results = await mapLimit(batch, width, async (entry): Promise<Emitted | undefined> => {
          const before = usable?.files[entry.path];
          if (before && before.blobSha === entry.sha) return this.reemit(before.item, {});
          if ((entry.size ?? 0) > files.maxBytes) {
            this.log.warn(
              { source: this.cfg.id, repository: full, path: entry.path, size: entry.size },
              'file larger than collect.files.maxBytes: not collected',
            );
            return undefined;
          }
          const [content, last] = await Promise.all([
            this.blob(ctx, entry.sha, spec),
            this.lastCommit(ctx, entry.path, spec),
          ]);
          const lastCommit: LastCommit = last ?? { sha: '', at: date, author: null };
          const attributes = fileAttributes(full, entry.path, entry.sha, content.length, lastCommit, content);
          if (!last) attributes['observedAtFrom'] = 'response-date';
          return this.emitBytes(
            'file',
            `${full}/file/${entry.path}`,
            lastCommit.at,
            `${ctx.base}/contents/${entry.path}`,
            undefined,
            content,
            mediaTypeFor(entry.path),
            attributes,
          );
        });
        for (const [j, entry] of batch.entries()) {
          const e = results[j];
          if (!e) continue;
          nextState.files[entry.path] = { blobSha: entry.sha, item: e.stored };
          yield { artifact: e.artifact, at: entry.path };
        }
      }
    }
    return resumeAfter !== undefined ? prev : nextState;
  }

  private async *releases(
    ctx: RepoCtx,
    prev: Watermark | undefined,
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, Watermark | undefined> {
    const spec = run.spec(ctx);
    const first = this.client.url(`${ctx.base}/releases?per_page=${this.cfg.requests.perPage}`);
    const resume = at === undefined ? undefined : pageResumeSchema.parse(at);
    let page: GetResult<z.infer<typeof releaseListSchema>> | undefined;
    if (!resume) {
      page = await this.client.get(first, releaseListSchema, { ...spec, ...(prev?.etag ? { etag: prev.etag } : {}) });
      if (page.kind === 'not-modified') return prev;
    }
    const etag = page ? ok(page).etag : undefined;
    const cutoff = prev?.hw;
    const processed: Seen = [];
    let url: string | undefined = resume?.page ?? first;
    let after = resume?.after;
    while (url) {
      const res: OkResult<z.infer<typeof releaseListSchema>> = ok(
        page ?? (await this.client.get(url, releaseListSchema, spec)),
      );
      page = undefined;
      let items = res.data;
      if (after !== undefined) {
        const idx = items.findIndex((r) => r.id === after);
        if (idx >= 0) items = items.slice(idx + 1);
        after = undefined;
      }
      let anyRecent = false;
      for (const rel of items) {
        const ts = Date.parse(rel.published_at ?? rel.created_at);
        if (rel.draft) continue; // not released yet: collected once published
        if (cutoff !== undefined && ts < cutoff) continue;
        anyRecent = true;
        if (isSeen(prev?.seen ?? [], rel.id, ts)) continue;
        processed.push([rel.id, ts]);
        const n = normalizeRelease(ctx.repo.fullName, rel);
        const e = this.emitJson(
          'release',
          `${ctx.repo.fullName}/release/${rel.tag_name}`,
          iso(rel.published_at ?? rel.created_at),
          `${ctx.base}/releases/${rel.id}`,
          undefined,
          n,
        );
        yield { artifact: e.artifact, at: { page: res.url, after: rel.id } };
      }
      // Newest first: a page without anything since the watermark ends the walk.
      url = cutoff !== undefined && !anyRecent ? undefined : res.next;
    }
    return resume ? prev : advanceWatermark(prev, processed, etag, 0);
  }

  private async *tags(
    ctx: RepoCtx,
    prev: RepoState['tags'],
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, RepoState['tags']> {
    if (at !== undefined) return prev;
    const url = `${ctx.base}/tags?per_page=${this.cfg.requests.perPage}`;
    const res = await this.snapshot(url, tagListSchema, (d) => d, prev?.pages, run.spec(ctx));
    if (res.kind === 'not-modified') {
      const e = this.reemit(prev!.item, {
        observedAt: this.dateOf(res.date, run),
        ...(res.etag ? { etag: res.etag } : {}),
      });
      yield { artifact: e.artifact, at: 'done' };
      return { ...prev!, item: e.stored };
    }
    const items = res.kind === 'fresh' ? res.items : [];
    const e = this.emitJson(
      'tags',
      `${ctx.repo.fullName}/tags`,
      this.dateOf(res.date, run),
      url,
      res.kind === 'fresh' ? res.etag : undefined,
      normalizeTags(ctx.repo.fullName, items),
    );
    yield { artifact: e.artifact, at: 'done' };
    return { pages: res.kind === 'fresh' ? res.pages : [], item: e.stored };
  }

  private async *runs(
    ctx: RepoCtx,
    prev: RepoState['runs'],
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, RepoState['runs']> {
    const cfg = this.cfg.collect.workflowRuns;
    if (cfg === false) return undefined;
    const windowStart = run.now.getTime() - parseDuration(cfg.window)!;
    const spec = run.spec(ctx);
    const resume = at === undefined ? undefined : runResumeSchema.parse(at);
    const next: Record<string, Watermark> = {};
    for (const [w, workflow] of cfg.workflows.entries()) {
      if (resume && w < resume.wf) continue;
      const prevW = prev?.[workflow];
      const first = this.client.url(
        `${ctx.base}/actions/workflows/${enc(workflow)}/runs?status=completed&exclude_pull_requests=true&per_page=${this.cfg.requests.perPage}`,
      );
      const resumingHere = resume !== undefined && resume.wf === w;
      let page: GetResult<z.infer<typeof workflowRunsSchema>> | undefined;
      if (!resumingHere) {
        page = await this.client.get(first, workflowRunsSchema, {
          ...spec,
          allow: [404],
          ...(prevW?.etag ? { etag: prevW.etag } : {}),
        });
        if (page.kind === 'status') {
          this.log.debug(
            { source: this.cfg.id, repository: ctx.repo.fullName, workflow },
            'workflow not present in repository',
          );
          continue;
        }
        if (page.kind === 'not-modified') {
          if (prevW) next[workflow] = prevW;
          continue;
        }
      }
      const etag = page ? ok(page).etag : undefined;
      const cutoff = Math.max(windowStart, (prevW?.hw ?? -Infinity) - runLookbackMs);
      const processed: Seen = [];
      let url: string | undefined = resumingHere ? resume.page : first;
      let after = resumingHere ? resume.after : undefined;
      while (url) {
        const res: OkResult<z.infer<typeof workflowRunsSchema>> = ok(
          page ?? (await this.client.get(url, workflowRunsSchema, spec)),
        );
        page = undefined;
        let items = res.data.workflow_runs;
        if (after !== undefined) {
          const idx = items.findIndex((r) => `${r.id}/${r.run_attempt ?? 1}` === after);
          if (idx >= 0) items = items.slice(idx + 1);
          after = undefined;
        }
        const recent = items.filter((r) => Date.parse(r.created_at) >= cutoff);
        const todo = recent.filter(
          (r) => !isSeen(prevW?.seen ?? [], `${r.id}/${r.run_attempt ?? 1}`, Date.parse(r.created_at)),
        );
        const artifacts = await mapLimit(todo, this.cfg.requests.concurrency, (r) =>
          this.listAll(
            `${ctx.base}/actions/runs/${r.id}/artifacts?per_page=100`,
            runArtifactsSchema,
            (d) => d.artifacts,
            spec,
          ),
        );
        for (const [i, r] of todo.entries()) {
          const id = `${r.id}/${r.run_attempt ?? 1}`;
          processed.push([id, Date.parse(r.created_at)]);
          const n = normalizeRun(ctx.repo.fullName, workflow, r, artifacts[i]!);
          const e = this.emitJson(
            'workflow-run',
            `${ctx.repo.fullName}/actions/run/${id}`,
            iso(r.updated_at),
            `${ctx.base}/actions/runs/${r.id}`,
            undefined,
            n,
          );
          yield { artifact: e.artifact, at: { wf: w, page: res.url, after: id } };
        }
        // Newest first: a page with nothing inside the window or after the watermark ends the walk.
        url = recent.length === 0 ? undefined : res.next;
      }
      next[workflow] = advanceWatermark(prevW, processed, etag, runLookbackMs);
    }
    return resume ? prev : next;
  }

  private async *dependabot(
    ctx: RepoCtx,
    prev: RepoState['dependabot'],
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, RepoState['dependabot']> {
    if (at !== undefined) return prev;
    const url = `${ctx.base}/dependabot/alerts?state=open&per_page=${this.cfg.requests.perPage}`;
    const full = ctx.repo.fullName;
    // GitHub answers 403 "Dependabot alerts are disabled for this repository": evidence, not an error.
    const allow = (status: number, message: string) => status === 403 && /disabled|not enabled/i.test(message);
    const res = await this.snapshot(url, dependabotAlertListSchema, (d) => d, prev?.pages, { ...run.spec(ctx), allow });
    if (res.kind === 'not-modified') {
      const e = this.reemit(prev!.item, {
        observedAt: this.dateOf(res.date, run),
        attributes: withAlertAges(prev!.item.meta.attributes, run.now),
        ...(res.etag ? { etag: res.etag } : {}),
      });
      yield { artifact: e.artifact, at: 'done' };
      return { ...prev!, item: e.stored };
    }
    const n =
      res.kind === 'status'
        ? disabledDependabot(full, res.message, run.now)
        : normalizeDependabot(full, res.items, run.now);
    const e = this.emitJson(
      'dependabot-alerts',
      `${full}/dependabot-alerts`,
      this.dateOf(res.date, run),
      url,
      res.kind === 'fresh' ? res.etag : undefined,
      n,
    );
    yield { artifact: e.artifact, at: 'done' };
    return { pages: res.kind === 'fresh' ? res.pages : [], item: e.stored };
  }

  private async *environments(
    ctx: RepoCtx,
    prev: RepoState['environments'],
    at: JsonValue | undefined,
    run: Run,
  ): AsyncGenerator<Step, RepoState['environments']> {
    const url = `${ctx.base}/environments?per_page=${this.cfg.requests.perPage}`;
    const resumeAfter = typeof at === 'string' ? at : undefined;
    const full = ctx.repo.fullName;
    const res = await this.snapshot(url, environmentListSchema, (d) => d.environments ?? [], prev?.pages, {
      ...run.spec(ctx),
      allow: [404],
    });
    if (res.kind === 'status') return undefined; // no environments API for this repository (plan or visibility)
    const date = this.dateOf(res.date, run);
    if (res.kind === 'not-modified') {
      const items: StoredItem[] = [];
      for (const item of [...prev!.items].sort((a, b) =>
        cmp(String(a.meta.attributes['environment']), String(b.meta.attributes['environment'])),
      )) {
        const name = String(item.meta.attributes['environment']);
        if (resumeAfter !== undefined && name <= resumeAfter) continue;
        const e = this.reemit(item, { observedAt: date, ...(res.etag ? { etag: res.etag } : {}) });
        items.push(e.stored);
        yield { artifact: e.artifact, at: name };
      }
      return resumeAfter !== undefined ? prev : { pages: prev!.pages, items };
    }
    const items: StoredItem[] = [];
    for (const env of [...res.items].sort((a, b) => cmp(a.name, b.name))) {
      if (resumeAfter !== undefined && env.name <= resumeAfter) continue;
      const e = this.emitJson(
        'environment',
        `${full}/environment/${env.name}`,
        date,
        `${ctx.base}/environments/${enc(env.name)}`,
        res.etag,
        normalizeEnvironment(full, env),
      );
      items.push(e.stored);
      yield { artifact: e.artifact, at: env.name };
    }
    return resumeAfter !== undefined ? prev : { pages: res.pages, items };
  }

  // -------------------------------------------------------------------------------------------------
  // Requests

  /**
   * A whole list whose every page is known by ETag: when all pages answer 304 nothing changed (no rate
   * limit spent). Otherwise the list is read again from its first page. A full last page is not
   * trusted to be the last (an item appended at the end would start a page we never asked for).
   */
  private async snapshot<P, I>(
    first: string,
    schema: z.ZodType<P>,
    items: (p: P) => I[],
    prevPages: PageEtag[] | undefined,
    spec: RequestSpec,
  ): Promise<Snapshot<I>> {
    const firstUrl = this.client.url(first);
    let firstAnswer: GetResult<P> | undefined;
    if (
      prevPages &&
      prevPages.length > 0 &&
      prevPages[0]!.url === firstUrl &&
      prevPages.at(-1)!.n < this.cfg.requests.perPage
    ) {
      let date: string | undefined;
      let etag: string | undefined;
      let all304 = true;
      for (const [i, p] of prevPages.entries()) {
        const r = await this.client.get(p.url, schema, { ...spec, etag: p.etag });
        if (i === 0) {
          date = r.date;
          etag = r.kind === 'not-modified' ? (r as { etag?: string }).etag : undefined;
        }
        if (r.kind !== 'not-modified') {
          all304 = false;
          if (i === 0) firstAnswer = r;
          break;
        }
      }
      if (all304)
        return { kind: 'not-modified', pages: prevPages, ...(date ? { date } : {}), ...(etag ? { etag } : {}) };
    }
    const out: I[] = [];
    const pages: PageEtag[] = [];
    let complete = true;
    let url: string | undefined = firstUrl;
    let date: string | undefined;
    let etag: string | undefined;
    while (url) {
      const r: GetResult<P> = firstAnswer ?? (await this.client.get(url, schema, spec));
      firstAnswer = undefined;
      if (r.kind !== 'ok') {
        if (url === firstUrl && 'message' in r)
          return { kind: 'status', status: r.status, message: r.message, ...(r.date ? { date: r.date } : {}) };
        throw new SourceResponseError(
          `source "${this.cfg.id}": ${this.client.endpoint(url)} answered ${r.status} in the middle of a list`,
        );
      }
      const okR: OkResult<P> = ok(r);
      if (url === firstUrl) {
        date = okR.date;
        etag = okR.etag;
      }
      const got = items(okR.data);
      out.push(...got);
      if (okR.etag) pages.push({ url, etag: okR.etag, n: got.length });
      else complete = false;
      url = okR.next;
    }
    return {
      kind: 'fresh',
      items: out,
      pages: complete ? pages : [],
      ...(date ? { date } : {}),
      ...(etag ? { etag } : {}),
    };
  }

  /** Every page of a list, unconditionally. */
  private async listAll<P, I>(
    first: string,
    schema: z.ZodType<P>,
    items: (p: P) => I[],
    spec: RequestSpec,
  ): Promise<I[]> {
    const res = await this.snapshot(first, schema, items, undefined, spec);
    return res.kind === 'fresh' ? res.items : [];
  }

  /** File bytes by git blob sha, checked against the sha (a cut-off or altered body fails). */
  private async blob(ctx: RepoCtx, sha: string, spec: RequestSpec): Promise<Buffer> {
    const url = `${ctx.base}/git/blobs/${sha}`;
    const res = ok(await this.client.get(url, blobSchema, spec));
    const content =
      res.data.encoding === 'base64' ? Buffer.from(res.data.content, 'base64') : Buffer.from(res.data.content, 'utf8');
    const actual = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    if (actual !== sha) {
      throw new SourceResponseError(
        `source "${this.cfg.id}": ${this.client.endpoint(res.url)} returned content whose git sha is ${actual}, not ${sha} (truncated or altered)`,
      );
    }
    return content;
  }

  private async lastCommit(ctx: RepoCtx, filePath: string, spec: RequestSpec): Promise<LastCommit | undefined> {
    const url = `${ctx.base}/commits?sha=${enc(ctx.repo.defaultBranch)}&path=${enc(filePath)}&per_page=1`;
    const res = ok(await this.client.get(url, commitListSchema, spec));
    const c = res.data[0];
    if (!c) return undefined;
    const at = c.commit.committer?.date ?? c.commit.author?.date;
    return {
      sha: c.sha,
      at: at ? iso(at) : this.now().toISOString(),
      author: c.author?.login ?? c.commit.author?.name ?? null,
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Artifacts

  private emitJson(
    kind: string,
    externalId: string,
    observedAt: string,
    endpoint: string,
    etag: string | undefined,
    n: Normalized,
  ): Emitted {
    return this.emitBytes(
      kind,
      externalId,
      observedAt,
      endpoint,
      etag,
      Buffer.from(canonicalJson(n.record)),
      'application/json',
      n.attributes,
    );
  }

  private emitBytes(
    kind: string,
    externalId: string,
    observedAt: string,
    endpoint: string,
    etag: string | undefined,
    bytes: Buffer,
    mediaType: string,
    attributes: Attributes,
  ): Emitted {
    const meta: ArtifactMeta = {
      externalId,
      kind,
      observedAt,
      mediaType,
      attributes,
      provenance: {
        endpoint: this.client.url(endpoint),
        apiVersion: githubApiVersion,
        collector: githubCollector,
        ...(etag ? { etag } : {}),
      },
    };
    this.counters.artifacts++;
    return {
      artifact: { meta, open: () => Readable.from([bytes]) },
      stored: { sha256: sha256Hex(bytes), size: bytes.length, meta },
    };
  }

  /** The artifact stored by an earlier run, unchanged at the source: same bytes, fresh observation. */
  private reemit(item: StoredItem, change: { observedAt?: string; attributes?: Attributes; etag?: string }): Emitted {
    const open = this.openStoredBlob;
    if (!open) throw new Error('internal: re-emitting a stored artifact without openStoredBlob');
    const meta: ArtifactMeta = {
      ...item.meta,
      ...(change.observedAt ? { observedAt: change.observedAt } : {}),
      ...(change.attributes ? { attributes: change.attributes } : {}),
      provenance: { ...item.meta.provenance, ...(change.etag ? { etag: change.etag } : {}) },
    };
    this.counters.artifacts++;
    this.counters.reemitted++;
    return {
      artifact: { meta, open: () => open(item.sha256) },
      stored: { sha256: item.sha256, size: item.size, meta },
    };
  }

  /** The source's own time of an answer (its Date header), for facts that hold "as of now". */
  private dateOf(header: string | undefined, run: Run): string {
    const ms = header ? Date.parse(header) : NaN;
    return Number.isNaN(ms) ? run.now.toISOString() : new Date(ms).toISOString();
  }
}

/**
 * Runs an async generator ahead of its consumer, buffering what it yields (up to `highWater` items,
 * then it waits). Errors are kept and rethrown by `drain`, never left unhandled.
 */
class Prefetch<T, R> {
  private readonly items: T[] = [];
  private finished = false;
  private failed = false;
  private error: unknown;
  private result: R | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private cancelled = false;

  constructor(
    gen: AsyncGenerator<T, R>,
    private readonly highWater = 500,
  ) {
    void this.pump(gen);
  }

  private async pump(gen: AsyncGenerator<T, R>): Promise<void> {
    try {
      for (let r = await gen.next(); ; r = await gen.next()) {
        if (r.done) {
          this.result = r.value;
          break;
        }
        this.items.push(r.value);
        this.notify();
        if (this.items.length >= this.highWater) await new Promise<void>((resolve) => (this.wakeProducer = resolve));
        if (this.cancelled) {
          await gen.return(undefined as R);
          break;
        }
      }
    } catch (err) {
      this.failed = true;
      this.error = err;
    } finally {
      this.finished = true;
      this.notify();
    }
  }

  /** The consumer is gone: stop producing. */
  cancel(): void {
    this.cancelled = true;
    const wake = this.wakeProducer;
    this.wakeProducer = undefined;
    wake?.();
  }

  private notify(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  async *drain(signal: AbortSignal): AsyncGenerator<T, R> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        const wake = this.wakeProducer;
        this.wakeProducer = undefined;
        wake?.();
        yield item;
        continue;
      }
      if (this.finished) {
        if (this.failed) throw this.error;
        return this.result as R;
      }
      signal.throwIfAborted();
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }
}

function ok<T>(r: GetResult<T>): OkResult<T> {
  if (r.kind !== 'ok') throw new Error(`internal: expected a 200 answer, got ${r.status}`);
  return r;
}

function compact(r: MinimalRepo): CompactRepo {
  return {
    fullName: r.full_name,
    defaultBranch: r.default_branch ?? 'main',
    topics: [...(r.topics ?? [])].sort(),
    archived: r.archived === true,
    fork: r.fork,
    visibility: r.visibility ?? (r.private ? 'private' : 'public'),
  };
}

/** Tracks the newest timestamp and the ids seen exactly at it. */
function bump(hw: number | undefined, at: number[], ts: number, id: number): [number, number[]] {
  if (hw === undefined || ts > hw) return [ts, [id]];
  if (ts === hw && !at.includes(id)) return [hw, [...at, id]];
  return [hw, at];
}

function merge(
  prevHw: number | undefined,
  prevSeen: Seen,
  newHw: number | undefined,
  newAt: number[],
): [number | undefined, Seen] {
  if (newHw === undefined) return [prevHw, prevSeen];
  const fresh: Seen = newAt.map((n) => [n, newHw]);
  if (prevHw === undefined || newHw > prevHw) return [newHw, fresh];
  if (newHw === prevHw)
    return [prevHw, [...prevSeen, ...fresh.filter(([n]) => !prevSeen.some(([p, t]) => p === n && t === newHw))]];
  return [prevHw, prevSeen];
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) {
      const i = nextIndex++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function fingerprint(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 16);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
