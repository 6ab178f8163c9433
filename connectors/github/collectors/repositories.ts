import picomatch from 'picomatch';
import { fingerprint } from '../../../core/digest';
import { SourceResponseError } from '../../../core/errors';
import { codeUnitOrder } from '../../../core/order';
import { fullRepoSchema, repoListSchema, type MinimalRepo } from '../api-schemas';
import type { CompactRepo, GithubState, PageEtag } from '../state';
import type { CollectContext, RepoCtx } from './context';
import { enc, mapLimit, ok, snapshot } from './requests';

/**
 * The repositories in scope: each configured organisation's listing filtered by the entry's names,
 * exclusions, topics, archived and fork settings, plus the repositories named one by one; in order of
 * lower-cased full name. Listings are kept in `next` by ETag, so an unchanged organisation costs 304s.
 */
export async function resolveRepos(
  cx: CollectContext,
  prev: GithubState,
  next: GithubState,
  abort: AbortSignal,
): Promise<RepoCtx[]> {
  const found = new Map<string, RepoCtx>();
  const add = (repo: CompactRepo, entry: string) => {
    const key = repo.fullName.toLowerCase();
    if (found.has(key)) return;
    const [owner, name] = repo.fullName.split('/') as [string, string];
    found.set(key, { repo, key, entry, base: `/repos/${enc(owner)}/${enc(name)}` });
  };
  const signal = { signal: abort };
  for (const [i, org] of cx.cfg.orgs.entries()) {
    const entry = `orgs[${i}] "${org.name}"`;
    const key = `org:${org.name.toLowerCase()}`;
    const scope = fingerprint(org, 16);
    const prevListing = prev.listings[key]?.scope === scope ? prev.listings[key] : undefined;
    const first = `/orgs/${enc(org.name)}/repos?type=all&sort=full_name&direction=asc&per_page=${cx.cfg.requests.perPage}`;
    const res = await snapshot(cx, first, repoListSchema, (d) => d, prevListing?.pages, {
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
        `source "${cx.cfg.id}": ${entry}: listing repositories answered ${res.status} ${res.message}`,
      );
    next.listings[key] = { scope, pages: res.pages, repos };
    if (repos.length === 0)
      cx.log.warn({ source: cx.cfg.id, entry }, 'no repository of the organisation matches the configured scope');
    for (const r of repos) add(r, `${entry} → ${r.fullName}`);
  }
  // Listed repositories are read `requests.concurrency` at a time (the client bounds requests in flight
  // anyway), then taken in the configured order, so the outcome does not depend on answer order.
  const listed = cx.cfg.repositories.map((full, i) => {
    const [owner, name] = full.split('/') as [string, string];
    const key = `repo:${full.toLowerCase()}`;
    const prevListing = prev.listings[key];
    const url = cx.client.url(`/repos/${enc(owner)}/${enc(name)}`);
    const etag = prevListing?.pages[0]?.url === url ? prevListing.pages[0].etag : undefined;
    return { full, entry: `repositories[${i}] "${full}"`, key, prevListing, url, etag };
  });
  const answers = await mapLimit(listed, cx.cfg.requests.concurrency, (l) =>
    cx.client.get(l.url, fullRepoSchema, {
      entry: l.entry,
      notFoundIsConfig: true,
      ...signal,
      ...(l.etag ? { etag: l.etag } : {}),
    }),
  );
  for (const [i, { full, entry, key, prevListing, url }] of listed.entries()) {
    const res = answers[i]!;
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
    warnIfRenamed(cx, entry, full, repo.fullName);
    add(repo, entry);
  }
  return [...found.values()].sort((a, b) => codeUnitOrder(a.key, b.key));
}

/**
 * GitHub answers a renamed (or transferred) repository's old name with a 301 to `/repositories/{id}`,
 * which the client follows; the answer carries the current name, and the connector collects under it.
 * The configuration still naming the old one works only as long as GitHub keeps the redirect (a new
 * repository under the old name takes it over), so it is worth one warning per run, naming both.
 */
function warnIfRenamed(cx: CollectContext, entry: string, configured: string, current: string): void {
  if (configured.toLowerCase() === current.toLowerCase()) return;
  cx.log.warn(
    { source: cx.cfg.id, entry, configured, current },
    `${entry} names "${configured}", which GitHub redirects to "${current}" (renamed or transferred); change the config to "${current}"`,
  );
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
