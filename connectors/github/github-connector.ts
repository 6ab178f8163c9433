import type { JsonValue } from '../../core/json';
import type { ResolveSecret } from '../descriptor';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import { GithubClient, type GithubAuth } from './client';
import { CollectContext, type RepoCtx, type Run } from './collectors/context';
import { resolveRepos } from './collectors/repositories';
import { collectSection, cursorSchema, sectionEnabled, sections, type Cursor } from './collectors/sections';
import type { GithubSourceConfig } from './config';
import { Prefetch } from './prefetch';
import { emptyState, githubStateSchema, type GithubState, type RepoState } from './state';

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
  resolveSecret: ResolveSecret,
  tuning: GithubTuning = {},
): Promise<GithubConnector> {
  const { token, app } = source.auth;
  const auth: GithubAuth = token
    ? { token: await resolveSecret(token, 'auth.token') }
    : {
        app: {
          appId: app!.appId,
          privateKey: await resolveSecret(app!.privateKey, 'auth.app.privateKey'),
          installationId: app!.installationId,
        },
      };
  return new GithubConnector(source, auth, tuning);
}

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
  /** Shared with the section collectors (connectors/github/collectors/): client, clock, log, counters. */
  private readonly cx: CollectContext;
  private finalState: GithubState | undefined;

  constructor(
    private readonly cfg: GithubSourceConfig,
    auth: GithubAuth,
    tuning: GithubTuning = {},
  ) {
    const client = new GithubClient({
      sourceId: cfg.id,
      baseUrl: cfg.baseUrl,
      auth,
      retries: cfg.requests.retries,
      concurrency: cfg.requests.concurrency,
      maxRateLimitWaitSeconds: cfg.requests.maxRateLimitWaitSeconds,
      retryAfterBaseMs: tuning.retryAfterBaseMs ?? 1000,
      log: () => this.cx.log,
    });
    this.cx = new CollectContext(cfg, client, tuning.now ?? (() => new Date()));
  }

  /** Read after `collect` has finished; null when it did not finish. */
  state(): JsonValue {
    return this.finalState === undefined ? null : (JSON.parse(JSON.stringify(this.finalState)) as JsonValue);
  }

  stats(): ConnectorStats {
    const s = this.cx.client.stats;
    return {
      requests: s.requests,
      billableRequests: s.billableRequests,
      notModified: s.notModified,
      ...(s.rateLimitRemaining !== undefined ? { rateLimitRemaining: s.rateLimitRemaining } : {}),
      rateLimitWaits: s.rateLimitWaits,
      retries: s.retries,
      artifacts: this.cx.counters.artifacts,
      reemitted: this.cx.counters.reemitted,
    };
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    this.cx.log = options.log;
    this.cx.openStoredBlob = options.openStoredBlob;
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
    const run: Run = { options, now: this.cx.now(), spec: (ctx) => ({ entry: ctx.entry, signal }) };
    const todo: { ctx: RepoCtx; buffer?: Prefetch<CollectionStep, RepoState> | undefined }[] = [];
    try {
      const repos = await resolveRepos(this.cx, prev, next, signal);
      this.cx.log.info(
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
    this.cx.log.info({ source: this.cfg.id, ...this.stats() }, 'GitHub collection finished');
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
      if (!sectionEnabled(this.cfg, sec)) continue;
      const prevSec = (prevRepo as Record<string, unknown>)[sec];
      if (here && i < sections.indexOf(resume.sec)) {
        if (prevSec !== undefined) nextRepo[sec] = prevSec;
        continue;
      }
      const at = here && sec === resume.sec ? resume.at : undefined;
      const gen = collectSection(this.cx, sec, ctx, prevSec, at, run);
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
      this.cx.log.warn(
        { source: this.cfg.id, cursor: text.slice(0, 200) },
        'resume cursor not understood; collecting from the start',
      );
      return undefined;
    }
  }
}
