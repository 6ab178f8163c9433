import { z } from 'zod';
import { canonicalJson } from '../../core/digest';
import { SourceConfigError } from '../../core/errors';
import type { JsonValue } from '../../core/json';
import { codeUnitOrder } from '../../core/order';
import type { ResolveSecret } from '../descriptor';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import { commitArtifact, repoArtifact, repoKey, toStep, type HubArtifact } from './artifacts';
import { cardFacts } from './card';
import { hubRepoIdPattern, type HuggingfaceSourceConfig } from './config';
import {
  apiPlural,
  commitListSchema,
  repoInfoSchema,
  repoListSchema,
  type HubCommit,
  type ListedRepo,
  type RepoInfo,
  type RepoType,
} from './hub-api';
import { HubHttp, type HubHttpOptions, type HubResult } from './http';

const stateSchema = z.object({
  format: z.literal('huggingface-state@1'),
  /** `<type>:<repo>` → the last commit sha collected. */
  repos: z.record(z.string(), z.string()),
});
type HubState = z.infer<typeof stateSchema>;

interface Target {
  type: RepoType;
  repo: string;
  /** From the owner's listing; undefined when the repo was not listed (then its info is read to learn it). */
  sha?: string;
}

/**
 * Models and datasets on the Hugging Face Hub. Per repository whose last commit changed since the last
 * sealed run: its revision info, the commits since (with dates and authors), its card (README.md at that
 * revision) and one `hf-model` / `hf-dataset` record. Incremental by last commit sha: the owners' listings
 * give each repository's sha, so an unchanged repository costs no request of its own.
 */
export class HuggingfaceConnector implements Connector {
  readonly type = 'huggingface';
  private nextState: HubState | undefined;
  private problemList: string[] = [];
  private counters = { reposSeen: 0, reposUnchanged: 0, reposCollected: 0, commitsRecorded: 0, commitsBeyondMax: 0 };

  constructor(
    private readonly http: HubHttp,
    private readonly source: HuggingfaceSourceConfig,
    private readonly now: () => Date = () => new Date(),
  ) {}

  state(): JsonValue {
    return (this.nextState ?? null) as JsonValue;
  }

  problems(): string[] {
    return [...this.problemList];
  }

  stats(): ConnectorStats {
    return { ...this.counters, ...this.http.counters };
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    const { signal } = options;
    this.nextState = undefined;
    this.problemList = [];
    this.counters = { reposSeen: 0, reposUnchanged: 0, reposCollected: 0, commitsRecorded: 0, commitsBeyondMax: 0 };
    const parsed = options.previousState ? stateSchema.safeParse(options.previousState) : undefined;
    if (parsed && !parsed.success)
      options.log.warn(
        { source: this.source.id },
        'previous huggingface state unreadable; collecting every repository again',
      );
    const prev = parsed?.success ? parsed.data.repos : {};
    const next: HubState = { format: 'huggingface-state@1', repos: {} };
    const resume = options.resumeAfter !== undefined ? parseCursor(options.resumeAfter) : undefined;

    for (const target of await this.targets(signal)) {
      signal?.throwIfAborted();
      this.counters.reposSeen++;
      const key = `${target.type}:${target.repo}`;
      if (resume && codeUnitOrder(key, resume.key) < 0) {
        // Done by the interrupted attempt, whose artifacts are sealed with this run.
        if (target.sha) next.repos[key] = target.sha;
        else if (prev[key]) next.repos[key] = prev[key];
        continue;
      }
      if (target.sha !== undefined && prev[key] === target.sha && !(resume && key === resume.key)) {
        this.counters.reposUnchanged++;
        next.repos[key] = target.sha;
        continue;
      }
      const collected = await this.repoArtifacts(target, prev[key], signal);
      if (!collected) continue;
      if (collected.sha === prev[key] && !(resume && key === resume.key)) {
        this.counters.reposUnchanged++;
        next.repos[key] = collected.sha;
        continue;
      }
      this.counters.reposCollected++;
      for (const [seq, a] of collected.artifacts.entries()) {
        if (resume && key === resume.key && seq <= resume.seq) continue;
        yield toStep(JSON.stringify([key, seq]), a);
      }
      next.repos[key] = collected.sha;
    }
    this.nextState = next;
  }

  /** Every repository to look at, with its sha from the owners' listings, in (type, id) order. */
  private async targets(signal: AbortSignal | undefined): Promise<Target[]> {
    const s = this.source;
    const wanted: Record<RepoType, Set<string>> = { model: new Set(s.models), dataset: new Set(s.datasets) };
    const out = new Map<string, Target>();
    for (const type of ['model', 'dataset'] as const) {
      const orgs = s.repoTypes.includes(type) ? s.organizations : [];
      const owners = new Set([...orgs, ...[...wanted[type]].map((r) => r.split('/')[0]!)]);
      for (const owner of [...owners].sort(codeUnitOrder)) {
        for await (const r of this.listOwner(type, owner, signal)) {
          if (!hubRepoIdPattern.test(r.id)) {
            // Not a name the Hub allows: recorded as a problem, never turned into a request path.
            this.problemList.push(`the Hub listed a ${type} with an invalid id ${JSON.stringify(r.id)}; skipped`);
            continue;
          }
          if (orgs.includes(owner) || wanted[type].has(r.id))
            out.set(`${type}:${r.id}`, { type, repo: r.id, ...(r.sha ? { sha: r.sha } : {}) });
        }
      }
      // Named repos the listing did not show (private or gated to an anonymous listing): their info says.
      for (const repo of wanted[type]) if (!out.has(`${type}:${repo}`)) out.set(`${type}:${repo}`, { type, repo });
    }
    return [...out.entries()].sort(([a], [b]) => codeUnitOrder(a, b)).map(([, t]) => t);
  }

  private async *listOwner(type: RepoType, owner: string, signal: AbortSignal | undefined): AsyncIterable<ListedRepo> {
    let url: URL | undefined = this.http.url(['api', apiPlural[type]], { author: owner, full: 'true', limit: '100' });
    while (url) {
      const page: HubResult<ListedRepo[]> = await this.http.getJson(url, repoListSchema, signal);
      if (page.kind === 'not-found')
        throw new SourceConfigError(
          `source "${this.source.id}": ${this.http.endpoint(url)} answered 404; is ${this.http.base.href} a Hugging Face Hub? (check sources[].url)`,
        );
      yield* page.value;
      url = page.link ? new URL(page.link) : undefined;
    }
  }

  /** Info, new commits and card of one repository at its current revision; undefined when it is gone. */
  private async repoArtifacts(
    target: Target,
    prevSha: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ sha: string; artifacts: HubArtifact[] } | undefined> {
    const { type, repo } = target;
    const [owner, name] = repo.split('/') as [string, string];
    const infoUrl = this.http.url(['api', apiPlural[type], owner, name, 'revision', target.sha ?? 'main']);
    const info = await this.http.getJson(infoUrl, repoInfoSchema, signal);
    if (info.kind === 'not-found') {
      if (target.sha === undefined) {
        const list = type === 'model' ? 'models' : 'datasets';
        throw new SourceConfigError(
          `source "${this.source.id}": ${list} entry "${repo}" is not a ${type} repository on ${this.http.base.origin} (check the id; a private repository needs a token that can read it)`,
        );
      }
      return undefined; // deleted between the listing and now
    }
    const sha = info.value.sha;
    if (sha === prevSha) return { sha, artifacts: [] };
    const artifacts: HubArtifact[] = [];
    const commits = await this.newCommits(type, owner, name, sha, prevSha, signal);
    for (const c of [...commits.list].reverse()) artifacts.push(commitArtifact(type, repo, c.commit, c.endpoint));
    const card = await this.card(type, info.value, signal);
    if (card?.artifact) artifacts.push(card.artifact);
    artifacts.push(
      repoArtifact(
        type,
        info.value,
        card
          ? {
              ...(card.facts ? { facts: card.facts } : {}),
              stored: card.artifact?.attributes['contentStored'] === true,
            }
          : undefined,
        commits.list[0]?.commit,
        this.http.endpoint(infoUrl),
        this.now(),
      ),
    );
    return { sha, artifacts };
  }

  /** Commits from `sha` back to `prevSha` (exclusive), newest first, at most `maxCommits`. */
  private async newCommits(
    type: RepoType,
    owner: string,
    name: string,
    sha: string,
    prevSha: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ list: { commit: HubCommit; endpoint: string }[] }> {
    const list: { commit: HubCommit; endpoint: string }[] = [];
    let url: URL | undefined = this.http.url(['api', apiPlural[type], owner, name, 'commits', sha]);
    while (url) {
      const page: HubResult<HubCommit[]> = await this.http.getJson(url, commitListSchema, signal);
      if (page.kind === 'not-found') break;
      const endpoint = this.http.endpoint(url);
      for (const c of page.value) {
        if (c.id === prevSha) return { list };
        if (list.length >= this.source.maxCommits) {
          this.counters.commitsBeyondMax++;
          return { list };
        }
        list.push({ commit: c, endpoint });
        this.counters.commitsRecorded++;
      }
      url = page.link ? new URL(page.link) : undefined;
    }
    return { list };
  }

  /** The card (README.md at the revision): its facts, and its artifact (content capped). */
  private async card(
    type: RepoType,
    info: RepoInfo,
    signal: AbortSignal | undefined,
  ): Promise<{ facts?: ReturnType<typeof cardFacts>; artifact?: HubArtifact } | undefined> {
    if (info.siblings && !info.siblings.some((s) => s.rfilename === 'README.md')) return undefined;
    const [owner, name] = info.id.split('/') as [string, string];
    const url = this.http.url([
      ...(type === 'dataset' ? ['datasets'] : []),
      owner,
      name,
      'resolve',
      info.sha,
      'README.md',
    ]);
    const res = await this.http.getBytes(url, this.source.maxCardBytes, signal);
    if (res.kind === 'not-found') return undefined;
    const kind = type === 'model' ? 'model-card' : 'dataset-card';
    const base = { repo: info.id, repoType: type, sha: info.sha, path: 'README.md' };
    const externalId = `${repoKey(type, info.id)}/revisions/${info.sha}/README.md`;
    const observedAt =
      info.lastModified && !Number.isNaN(Date.parse(info.lastModified))
        ? new Date(info.lastModified).toISOString()
        : this.now().toISOString();
    if (res.kind === 'too-large') {
      const attributes = {
        ...base,
        contentStored: false,
        reason: `larger than maxCardBytes (${this.source.maxCardBytes} bytes)`,
        ...(res.size !== undefined ? { size: res.size } : {}),
      };
      return {
        artifact: {
          kind,
          externalId,
          observedAt,
          mediaType: 'application/json',
          attributes,
          endpoint: url.href,
          body: Buffer.from(canonicalJson(attributes), 'utf8'),
        },
      };
    }
    const facts = cardFacts(res.bytes);
    const attributes: Record<string, JsonValue> = {
      ...base,
      contentStored: true,
      size: res.bytes.length,
      frontMatter: facts.frontMatter,
      ...(facts.frontMatterError ? { frontMatterError: facts.frontMatterError } : {}),
      ...(facts.license ? { license: facts.license } : {}),
      datasets: facts.datasets,
      metrics: facts.metrics,
      hasIntendedUse: facts.hasIntendedUse,
      hasLimitations: facts.hasLimitations,
    };
    return {
      facts,
      artifact: {
        kind,
        externalId,
        observedAt,
        mediaType: 'text/markdown',
        attributes,
        endpoint: url.href,
        ...(res.etag ? { etag: res.etag } : {}),
        body: res.bytes,
      },
    };
  }
}

function parseCursor(raw: string): { key: string; seq: number } | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number') return { key: v[0], seq: v[1] };
  } catch {
    // not ours: start over
  }
  return undefined;
}

/** Test seams: a fake fetch, recorded sleeps instead of real waits, a pinned clock. */
export interface HuggingfaceConnectorOverrides {
  fetch?: typeof fetch;
  sleep?: HubHttpOptions['sleep'];
  retryBaseMs?: number;
  now?: () => Date;
}

/** Builds the connector for one `type: huggingface` source; the token is resolved here, at collection time. */
export async function createHuggingfaceConnector(
  source: HuggingfaceSourceConfig,
  resolveSecret: ResolveSecret,
  overrides: HuggingfaceConnectorOverrides = {},
): Promise<HuggingfaceConnector> {
  const token = source.token ? await resolveSecret(source.token, 'token') : undefined;
  const http = new HubHttp({
    sourceId: source.id,
    baseUrl: source.url,
    ...(token ? { token } : {}),
    timeoutMs: source.requestTimeoutMs,
    maxAttempts: source.maxAttempts,
    maxWaitMs: source.maxRateLimitWaitMs,
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    ...(overrides.sleep ? { sleep: overrides.sleep } : {}),
    ...(overrides.retryBaseMs !== undefined ? { retryBaseMs: overrides.retryBaseMs } : {}),
  });
  return new HuggingfaceConnector(http, source, overrides.now);
}
