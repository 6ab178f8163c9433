import { createHash, randomBytes, verify } from 'node:crypto';
import type { components } from '@octokit/openapi-types';
import { HttpFake, paginate, paginateByCursor, withEtag, type FakeRequest, type FakeResponse } from './http-fake';

/**
 * A fake GitHub REST API (the endpoints the GitHub connector reads) over a real socket. Bodies are typed
 * with the official OpenAPI description (@octokit/openapi-types), lists paginate with Link headers,
 * answers carry ETags (304 on If-None-Match) and x-ratelimit-* headers; faults are scripted through
 * `http.fail(...)`. Optionally served under a path prefix, as GitHub Enterprise Server serves `/api/v3`.
 */
type S = components['schemas'];

export interface FakeReview {
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  submittedAt: string;
  commitId?: string;
}

export interface FakePull {
  number: number;
  title: string;
  author: string;
  state: 'open' | 'closed';
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  base: string;
  headRef: string;
  headSha: string;
  labels: string[];
  reviews: FakeReview[];
}

export interface FakeFile {
  content: string | Buffer;
  /** Newest first. */
  commits: { sha: string; date: string; author: string }[];
}

export interface FakeProtection {
  /** Undefined: pull request reviews not required. */
  requiredApprovingReviewCount?: number;
  requireCodeOwnerReviews?: boolean;
  dismissStaleReviews?: boolean;
  requiredStatusChecks?: string[];
  strict?: boolean;
  enforceAdmins?: boolean;
  allowForcePushes?: boolean;
  allowDeletions?: boolean;
  /** Who may push despite the protection (`restrictions`); undefined: pushes not restricted. */
  pushRestrictions?: FakeActors;
  /** Who may dismiss reviews (`required_pull_request_reviews.dismissal_restrictions`). */
  dismissalRestrictions?: FakeActors;
}

/** User logins, team slugs and app slugs, served as full `simple-user`, `team` and `integration` objects. */
export interface FakeActors {
  users: string[];
  teams: string[];
  apps: string[];
}

export interface FakeAsset {
  name: string;
  size: number;
  contentType: string;
  /** `sha256:<hex>`, or null as for assets uploaded before GitHub computed digests. */
  digest: string | null;
}

export interface FakeRelease {
  id: number;
  tag: string;
  name: string;
  createdAt: string;
  publishedAt: string | null;
  draft: boolean;
  prerelease: boolean;
  author: string;
  /** A bare name is an octet-stream of 1024 bytes without a digest. */
  assets: (string | FakeAsset)[];
}

export interface FakeRun {
  id: number;
  runNumber: number;
  runAttempt: number;
  event: string;
  status: 'completed' | 'in_progress' | 'queued';
  conclusion: 'success' | 'failure' | 'cancelled' | null;
  headBranch: string;
  headSha: string;
  createdAt: string;
  updatedAt: string;
  actor: string;
  artifacts: string[];
}

export interface FakeWorkflow {
  id: number;
  file: string;
  name: string;
  runs: FakeRun[];
}

export interface FakeAlert {
  number: number;
  state: 'open' | 'fixed' | 'dismissed' | 'auto_dismissed';
  severity: 'low' | 'medium' | 'high' | 'critical';
  ecosystem: string;
  package: string;
  manifestPath: string;
  ghsaId: string;
  cveId: string | null;
  summary: string;
  createdAt: string;
}

export interface FakeEnvironment {
  name: string;
  createdAt: string;
  updatedAt: string;
  reviewers: { type: 'User' | 'Team'; login: string }[];
  preventSelfReview?: boolean;
  waitTimer?: number;
  branchPolicy: { protectedBranches: boolean; customBranchPolicies: boolean } | null;
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  topics: string[];
  archived: boolean;
  fork: boolean;
  private: boolean;
  /** An empty repository answers 409 for its tree. */
  empty: boolean;
  protection?: FakeProtection;
  rules: S['repository-rule-detailed'][];
  pulls: FakePull[];
  files: Record<string, FakeFile>;
  releases: FakeRelease[];
  tags: { name: string; sha: string }[];
  workflows: FakeWorkflow[];
  dependabot: { enabled: boolean; alerts: FakeAlert[] };
  environments: FakeEnvironment[];
}

export interface FakeApp {
  appId: number;
  publicKeyPem: string;
  installationId: number;
}

const apiVersion = '2022-11-28';

export class FakeGithub {
  /** Organisation login (lower case) → its repositories. */
  readonly orgs = new Map<string, FakeRepo[]>();
  readonly tokens = new Set<string>(['ghp_test']);
  app: FakeApp | undefined;
  installationTokensIssued = 0;
  rateLimitRemaining = 5000;
  private nextId = 1000;
  /** Old full name (lower case) → the renamed repository. */
  private readonly renamed = new Map<string, FakeRepo>();

  private constructor(readonly http: HttpFake) {}

  /** `latencyMs` holds back every answer that long (simulated network latency, for benchmarks). */
  static async start(opts: { prefix?: string; latencyMs?: number } = {}): Promise<FakeGithub> {
    const self: { gh?: FakeGithub } = {};
    const http = await HttpFake.start((req) => self.gh!.handle(req), opts);
    const gh = new FakeGithub(http);
    self.gh = gh;
    http.onHeaders((_req, res) => gh.rateHeaders(res));
    return gh;
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  /** Requests that were not 304 (what GitHub counts against the rate limit). */
  billable(): number {
    return this.http.requests.filter((r) => r.status !== 304).length;
  }

  addOrg(login: string): void {
    if (!this.orgs.has(login.toLowerCase())) this.orgs.set(login.toLowerCase(), []);
  }

  addRepo(owner: string, name: string, init: Partial<FakeRepo> = {}): FakeRepo {
    this.addOrg(owner);
    const repo: FakeRepo = {
      id: this.nextId++,
      owner,
      name,
      defaultBranch: 'main',
      topics: [],
      archived: false,
      fork: false,
      private: true,
      empty: false,
      rules: [],
      pulls: [],
      files: {},
      releases: [],
      tags: [],
      workflows: [],
      dependabot: { enabled: true, alerts: [] },
      environments: [],
      ...init,
    };
    this.orgs.get(owner.toLowerCase())!.push(repo);
    return repo;
  }

  /**
   * Renames a repository the way GitHub does: the old name answers 301 to `/repositories/{id}` (which
   * serves the same endpoints), and listings show the new name only.
   */
  rename(fullName: string, newName: string): FakeRepo {
    const repo = this.repo(fullName);
    this.renamed.set(`${repo.owner}/${repo.name}`.toLowerCase(), repo);
    repo.name = newName;
    return repo;
  }

  repo(fullName: string): FakeRepo {
    const [owner, name] = fullName.toLowerCase().split('/');
    const r = this.orgs.get(owner!)?.find((x) => x.name.toLowerCase() === name);
    if (!r) throw new Error(`fake: no repository ${fullName}`);
    return r;
  }

  id(): number {
    return this.nextId++;
  }

  private rateHeaders(res: FakeResponse): Record<string, string> {
    if (res.status !== 304) this.rateLimitRemaining = Math.max(0, this.rateLimitRemaining - 1);
    return {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(this.rateLimitRemaining),
      'x-ratelimit-used': String(5000 - this.rateLimitRemaining),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': apiVersion,
      'x-github-media-type': 'github.v3; format=json',
    };
  }

  // -------------------------------------------------------------------------------------------------

  private handle(req: FakeRequest): FakeResponse {
    const tokenRoute = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(req.path);
    if (tokenRoute && req.method === 'POST') return this.installationToken(req, Number(tokenRoute[1]));
    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(auth)?.[1];
    if (!token || !this.tokens.has(token)) return notFoundish(401, 'Bad credentials');
    if (req.method !== 'GET') return notFoundish(404, 'Not Found');

    let m: RegExpExecArray | null;
    if ((m = /^\/orgs\/([^/]+)\/repos$/.exec(req.path))) return this.orgRepos(req, dec(m[1]));
    // A repository by id: where GitHub's 301 for a renamed repository points.
    if ((m = /^\/repositories\/(\d+)(\/.*)?$/.exec(req.path))) {
      const byId = [...this.orgs.values()].flat().find((r) => r.id === Number(m![1]));
      return byId ? this.repoRoute(req, byId, m[2] ?? '') : notFoundish(404, 'Not Found');
    }
    m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(req.path);
    if (!m) return notFoundish(404, 'Not Found');
    const fullName = `${dec(m[1])}/${dec(m[2])}`.toLowerCase();
    const [owner, name] = fullName.split('/') as [string, string];
    const repo = this.orgs.get(owner)?.find((r) => r.name.toLowerCase() === name);
    if (!repo) {
      const moved = this.renamed.get(fullName);
      if (!moved) return notFoundish(404, 'Not Found');
      const query = req.url.search;
      const location = `${this.baseUrl}/repositories/${moved.id}${m[3] ?? ''}${query}`;
      return {
        status: 301,
        headers: { location },
        body: { message: 'Moved Permanently', url: location, documentation_url: 'https://docs.github.com/rest' },
      };
    }
    return this.repoRoute(req, repo, m[3] ?? '');
  }

  /** The endpoints below `/repos/{owner}/{repo}` (or `/repositories/{id}`). */
  private repoRoute(req: FakeRequest, repo: FakeRepo, rest: string): FakeResponse {
    if (rest === '') return withEtag(req, this.fullRepository(repo));
    let r: RegExpExecArray | null;
    if ((r = /^\/branches\/([^/]+)\/protection$/.exec(rest))) return this.protection(req, repo, dec(r[1]));
    if ((r = /^\/rules\/branches\/([^/]+)$/.exec(rest)))
      return this.list(req, dec(r[1]) === repo.defaultBranch ? repo.rules : []);
    if (rest === '/pulls') return this.pulls(req, repo);
    if ((r = /^\/pulls\/(\d+)\/reviews$/.exec(rest))) return this.reviews(req, repo, Number(r[1]));
    if ((r = /^\/git\/trees\/([^/]+)$/.exec(rest))) return this.tree(req, repo, dec(r[1]));
    if ((r = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest))) return this.blob(req, repo, r[1]!);
    if (rest === '/commits') return this.commits(req, repo);
    if (rest === '/releases')
      return this.list(
        req,
        [...repo.releases].sort((a, b) => cmp(b.createdAt, a.createdAt)).map((x) => this.release(repo, x)),
      );
    if (rest === '/tags')
      return this.list(
        req,
        repo.tags.map((t) => this.tag(repo, t)),
      );
    if ((r = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(rest))) return this.runs(req, repo, dec(r[1]));
    if ((r = /^\/actions\/runs\/(\d+)\/artifacts$/.exec(rest))) return this.runArtifacts(req, repo, Number(r[1]));
    if (rest === '/dependabot/alerts') return this.alerts(req, repo);
    if (rest === '/environments') return this.environments(req, repo);
    return notFoundish(404, 'Not Found');
  }

  private list(req: FakeRequest, items: readonly unknown[]): FakeResponse {
    const { page, link } = paginate(req, items);
    return withEtag(req, page, link ? { link } : {});
  }

  private installationToken(req: FakeRequest, installationId: number): FakeResponse {
    const jwt = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!this.app || !jwt) return notFoundish(401, 'A JSON web token could not be decoded');
    const [h, p, sig] = jwt.split('.');
    const valid =
      h && p && sig && verify('sha256', Buffer.from(`${h}.${p}`), this.app.publicKeyPem, Buffer.from(sig, 'base64url'));
    const payload = valid
      ? (JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number })
      : undefined;
    if (!payload || String(payload.iss) !== String(this.app.appId))
      return notFoundish(401, 'A JSON web token could not be decoded');
    if (installationId !== this.app.installationId) return notFoundish(404, 'Not Found');
    const token = `ghs_${randomBytes(12).toString('hex')}`;
    this.tokens.add(token);
    this.installationTokensIssued++;
    const body: S['installation-token'] = {
      token,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      permissions: {
        contents: 'read',
        pull_requests: 'read',
        administration: 'read',
        actions: 'read',
        vulnerability_alerts: 'read',
        metadata: 'read',
      },
      repository_selection: 'all',
    };
    return { status: 201, body };
  }

  private orgRepos(req: FakeRequest, org: string): FakeResponse {
    const repos = this.orgs.get(org.toLowerCase());
    if (!repos) return notFoundish(404, 'Not Found');
    const sorted = [...repos].sort((a, b) =>
      cmp(`${a.owner}/${a.name}`.toLowerCase(), `${b.owner}/${b.name}`.toLowerCase()),
    );
    return this.list(
      req,
      sorted.map((r) => this.minimalRepository(r)),
    );
  }

  private protection(req: FakeRequest, repo: FakeRepo, branch: string): FakeResponse {
    if (branch !== repo.defaultBranch) return notFoundish(404, 'Branch not found');
    const p = repo.protection;
    if (!p) return notFoundish(404, 'Branch not protected');
    const base = `${this.repoUrl(repo)}/branches/${branch}/protection`;
    const body: S['protected-branch'] = {
      url: base,
      required_status_checks: {
        url: `${base}/required_status_checks`,
        strict: p.strict ?? false,
        contexts: p.requiredStatusChecks ?? [],
        checks: (p.requiredStatusChecks ?? []).map((context) => ({ context, app_id: null })),
        contexts_url: `${base}/required_status_checks/contexts`,
      },
      ...(p.requiredApprovingReviewCount !== undefined
        ? {
            required_pull_request_reviews: {
              url: `${base}/required_pull_request_reviews`,
              dismiss_stale_reviews: p.dismissStaleReviews ?? false,
              require_code_owner_reviews: p.requireCodeOwnerReviews ?? false,
              required_approving_review_count: p.requiredApprovingReviewCount,
              require_last_push_approval: false,
              ...(p.dismissalRestrictions
                ? {
                    dismissal_restrictions: {
                      url: `${base}/dismissal_restrictions`,
                      users_url: `${base}/dismissal_restrictions/users`,
                      teams_url: `${base}/dismissal_restrictions/teams`,
                      users: p.dismissalRestrictions.users.map((u) => this.user(u)),
                      teams: p.dismissalRestrictions.teams.map((t) => this.team(repo.owner, t)),
                      apps: p.dismissalRestrictions.apps.map((a) => this.integration(repo.owner, a)),
                    },
                  }
                : {}),
            },
          }
        : {}),
      ...(p.pushRestrictions
        ? {
            restrictions: {
              url: `${base}/restrictions`,
              users_url: `${base}/restrictions/users`,
              teams_url: `${base}/restrictions/teams`,
              apps_url: `${base}/restrictions/apps`,
              users: p.pushRestrictions.users.map((u) => ({ ...this.user(u), gravatar_id: '' })),
              teams: p.pushRestrictions.teams.map((t) => this.team(repo.owner, t)),
              apps: p.pushRestrictions.apps.map((a) => {
                const { owner: _o, ...app } = this.integration(repo.owner, a);
                return { ...app, description: app.description ?? '' };
              }),
            },
          }
        : {}),
      required_signatures: { url: `${base}/required_signatures`, enabled: false },
      enforce_admins: { url: `${base}/enforce_admins`, enabled: p.enforceAdmins ?? false },
      required_linear_history: { enabled: false },
      allow_force_pushes: { enabled: p.allowForcePushes ?? false },
      allow_deletions: { enabled: p.allowDeletions ?? false },
      block_creations: { enabled: false },
      required_conversation_resolution: { enabled: false },
      lock_branch: { enabled: false },
      allow_fork_syncing: { enabled: false },
    };
    return withEtag(req, body);
  }

  private pulls(req: FakeRequest, repo: FakeRepo): FakeResponse {
    const state = req.query.get('state') ?? 'open';
    const sortKey = req.query.get('sort') ?? 'created';
    const desc = (req.query.get('direction') ?? 'desc') === 'desc';
    const key = (p: FakePull) => (sortKey === 'updated' ? p.updatedAt : p.createdAt);
    const items = repo.pulls
      .filter((p) => state === 'all' || p.state === state)
      .sort((a, b) => (desc ? cmp(key(b), key(a)) || b.number - a.number : cmp(key(a), key(b)) || a.number - b.number));
    const { page, link } = paginate(req, items);
    const repository = this.repository(repo);
    return withEtag(
      req,
      page.map((p) => this.pullSimple(repo, repository, p)),
      link ? { link } : {},
    );
  }

  private reviews(req: FakeRequest, repo: FakeRepo, number: number): FakeResponse {
    const pr = repo.pulls.find((p) => p.number === number);
    if (!pr) return notFoundish(404, 'Not Found');
    return this.list(
      req,
      pr.reviews.map((r, i): S['pull-request-review'] => ({
        id: number * 1000 + i,
        node_id: `PRR_${number}_${i}`,
        user: this.user(r.user),
        body: '',
        state: r.state,
        html_url: `https://github.example/${repo.owner}/${repo.name}/pull/${number}#pullrequestreview-${i}`,
        pull_request_url: `${this.repoUrl(repo)}/pulls/${number}`,
        _links: {
          html: { href: `https://github.example/${repo.owner}/${repo.name}/pull/${number}` },
          pull_request: { href: `${this.repoUrl(repo)}/pulls/${number}` },
        },
        submitted_at: r.submittedAt,
        commit_id: r.commitId ?? pr.headSha,
        author_association: 'MEMBER',
      })),
    );
  }

  private tree(req: FakeRequest, repo: FakeRepo, ref: string): FakeResponse {
    if (repo.empty) return notFoundish(409, 'Git Repository is empty.');
    if (ref !== repo.defaultBranch) return notFoundish(404, 'Not Found');
    const paths = Object.keys(repo.files).sort();
    const dirs = new Set<string>();
    for (const p of paths) {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    const tree: S['git-tree']['tree'] = [
      ...[...dirs].map((d) => ({
        path: d,
        mode: '040000',
        type: 'tree',
        sha: sha1(
          `tree:${d}:${paths
            .filter((p) => p.startsWith(`${d}/`))
            .map((p) => gitBlobSha(repo.files[p]!.content))
            .join()}`,
        ),
      })),
      ...paths.map((p) => {
        const content = repo.files[p]!.content;
        const sha = gitBlobSha(content);
        return {
          path: p,
          mode: '100644',
          type: 'blob',
          sha,
          size: Buffer.byteLength(content),
          url: `${this.repoUrl(repo)}/git/blobs/${sha}`,
        };
      }),
    ].sort((a, b) => cmp(a.path, b.path));
    const body: S['git-tree'] = {
      sha: sha1(JSON.stringify(tree)),
      url: `${this.repoUrl(repo)}/git/trees/${ref}`,
      truncated: false,
      tree,
    };
    return withEtag(req, body);
  }

  private blob(req: FakeRequest, repo: FakeRepo, sha: string): FakeResponse {
    const file = Object.values(repo.files).find((f) => gitBlobSha(f.content) === sha);
    if (!file) return notFoundish(404, 'Not Found');
    const b64 = Buffer.from(file.content)
      .toString('base64')
      .replace(/(.{60})/g, '$1\n');
    const body: S['blob'] = {
      sha,
      node_id: `B_${sha}`,
      url: `${this.repoUrl(repo)}/git/blobs/${sha}`,
      size: Buffer.byteLength(file.content),
      encoding: 'base64',
      content: b64,
    };
    return withEtag(req, body);
  }

  private commits(req: FakeRequest, repo: FakeRepo): FakeResponse {
    const p = req.query.get('path');
    const commits = p ? (repo.files[p]?.commits ?? []) : Object.values(repo.files).flatMap((f) => f.commits);
    return this.list(
      req,
      commits.map((c): S['commit'] => {
        const who = { name: c.author, email: `${c.author}@example.com`, date: c.date };
        return {
          url: `${this.repoUrl(repo)}/commits/${c.sha}`,
          sha: c.sha,
          node_id: `C_${c.sha}`,
          html_url: `https://github.example/${repo.owner}/${repo.name}/commit/${c.sha}`,
          comments_url: `${this.repoUrl(repo)}/commits/${c.sha}/comments`,
          commit: {
            url: `${this.repoUrl(repo)}/git/commits/${c.sha}`,
            author: who,
            committer: who,
            message: 'update',
            comment_count: 0,
            tree: { sha: sha1(c.sha), url: '' },
          },
          author: this.user(c.author),
          committer: this.user(c.author),
          parents: [],
        };
      }),
    );
  }

  private release(repo: FakeRepo, r: FakeRelease): S['release'] {
    const url = `${this.repoUrl(repo)}/releases/${r.id}`;
    return {
      url,
      html_url: `https://github.example/${repo.owner}/${repo.name}/releases/tag/${r.tag}`,
      assets_url: `${url}/assets`,
      upload_url: `${url}/assets{?name,label}`,
      tarball_url: null,
      zipball_url: null,
      id: r.id,
      node_id: `RE_${r.id}`,
      tag_name: r.tag,
      target_commitish: repo.defaultBranch,
      name: r.name,
      body: null,
      draft: r.draft,
      prerelease: r.prerelease,
      created_at: r.createdAt,
      published_at: r.publishedAt,
      author: this.user(r.author),
      assets: r.assets.map((given, i): S['release-asset'] => {
        const a: FakeAsset =
          typeof given === 'string'
            ? { name: given, size: 1024, contentType: 'application/octet-stream', digest: null }
            : given;
        return {
          url: `${url}/assets/${i}`,
          browser_download_url: `https://github.example/${repo.owner}/${repo.name}/releases/download/${r.tag}/${a.name}`,
          id: r.id * 100 + i,
          node_id: `RA_${r.id}_${i}`,
          name: a.name,
          label: null,
          state: 'uploaded',
          content_type: a.contentType,
          size: a.size,
          digest: a.digest,
          download_count: 0,
          created_at: r.createdAt,
          updated_at: r.createdAt,
          uploader: this.user(r.author),
        };
      }),
    };
  }

  private tag(repo: FakeRepo, t: { name: string; sha: string }): S['tag'] {
    return {
      name: t.name,
      commit: { sha: t.sha, url: `${this.repoUrl(repo)}/commits/${t.sha}` },
      zipball_url: `${this.repoUrl(repo)}/zipball/${t.name}`,
      tarball_url: `${this.repoUrl(repo)}/tarball/${t.name}`,
      node_id: `T_${t.name}`,
    };
  }

  private runs(req: FakeRequest, repo: FakeRepo, workflow: string): FakeResponse {
    const wf = repo.workflows.find((w) => w.file === workflow || String(w.id) === workflow);
    if (!wf) return notFoundish(404, 'Not Found');
    const status = req.query.get('status');
    const runs = wf.runs
      .filter((r) => !status || r.status === status)
      .sort((a, b) => cmp(b.createdAt, a.createdAt) || b.id - a.id);
    const { page, link } = paginate(req, runs);
    const minimal = this.minimalRepository(repo);
    const body: { total_count: number; workflow_runs: S['workflow-run'][] } = {
      total_count: runs.length,
      workflow_runs: page.map((r): S['workflow-run'] => ({
        id: r.id,
        name: wf.name,
        node_id: `WFR_${r.id}`,
        check_suite_id: r.id + 1,
        head_branch: r.headBranch,
        head_sha: r.headSha,
        path: `.github/workflows/${wf.file}`,
        run_number: r.runNumber,
        run_attempt: r.runAttempt,
        event: r.event,
        status: r.status,
        conclusion: r.conclusion,
        workflow_id: wf.id,
        url: `${this.repoUrl(repo)}/actions/runs/${r.id}`,
        html_url: `https://github.example/${repo.owner}/${repo.name}/actions/runs/${r.id}`,
        pull_requests: [],
        created_at: r.createdAt,
        updated_at: r.updatedAt,
        run_started_at: r.createdAt,
        actor: this.user(r.actor),
        triggering_actor: this.user(r.actor),
        jobs_url: `${this.repoUrl(repo)}/actions/runs/${r.id}/jobs`,
        logs_url: `${this.repoUrl(repo)}/actions/runs/${r.id}/logs`,
        check_suite_url: `${this.repoUrl(repo)}/check-suites/${r.id + 1}`,
        artifacts_url: `${this.repoUrl(repo)}/actions/runs/${r.id}/artifacts`,
        cancel_url: `${this.repoUrl(repo)}/actions/runs/${r.id}/cancel`,
        rerun_url: `${this.repoUrl(repo)}/actions/runs/${r.id}/rerun`,
        workflow_url: `${this.repoUrl(repo)}/actions/workflows/${wf.id}`,
        head_commit: null,
        repository: minimal,
        head_repository: minimal,
        display_title: `${wf.name} #${r.runNumber}`,
      })),
    };
    return withEtag(req, body, link ? { link } : {});
  }

  private runArtifacts(req: FakeRequest, repo: FakeRepo, runId: number): FakeResponse {
    const run = repo.workflows.flatMap((w) => w.runs).find((r) => r.id === runId);
    if (!run) return notFoundish(404, 'Not Found');
    const { page, link } = paginate(req, run.artifacts);
    const body: { total_count: number; artifacts: S['artifact'][] } = {
      total_count: run.artifacts.length,
      artifacts: page.map((name, i) => ({
        id: runId * 100 + i,
        node_id: `A_${runId}_${i}`,
        name,
        size_in_bytes: 2048,
        url: `${this.repoUrl(repo)}/actions/artifacts/${runId * 100 + i}`,
        archive_download_url: `${this.repoUrl(repo)}/actions/artifacts/${runId * 100 + i}/zip`,
        expired: false,
        created_at: run.updatedAt,
        expires_at: null,
        updated_at: run.updatedAt,
        digest: `sha256:${sha256(name)}`,
        workflow_run: {
          id: runId,
          repository_id: repo.id,
          head_repository_id: repo.id,
          head_branch: run.headBranch,
          head_sha: run.headSha,
        },
      })),
    };
    return withEtag(req, body, link ? { link } : {});
  }

  private alerts(req: FakeRequest, repo: FakeRepo): FakeResponse {
    if (!repo.dependabot.enabled) return notFoundish(403, 'Dependabot alerts are disabled for this repository.');
    const states = (req.query.get('state') ?? 'open,fixed,dismissed,auto_dismissed').split(',');
    const items = repo.dependabot.alerts.filter((a) => states.includes(a.state)).sort((a, b) => b.number - a.number);
    const { page, link } = paginateByCursor(req, items);
    const body = page.map((a): S['dependabot-alert'] => {
      const pkg = { ecosystem: a.ecosystem, name: a.package };
      const vulnerability = {
        package: pkg,
        severity: a.severity,
        vulnerable_version_range: '< 2.0.0',
        first_patched_version: { identifier: '2.0.0' },
      };
      return {
        number: a.number,
        state: a.state,
        dependency: { package: pkg, manifest_path: a.manifestPath, scope: 'runtime', relationship: 'direct' },
        security_advisory: {
          ghsa_id: a.ghsaId,
          cve_id: a.cveId,
          summary: a.summary,
          description: a.summary,
          vulnerabilities: [vulnerability],
          severity: a.severity,
          cvss: { score: 7.5, vector_string: null },
          cwes: [],
          identifiers: [{ type: 'GHSA', value: a.ghsaId }],
          references: [],
          published_at: a.createdAt,
          updated_at: a.createdAt,
          withdrawn_at: null,
        },
        security_vulnerability: vulnerability,
        url: `${this.repoUrl(repo)}/dependabot/alerts/${a.number}`,
        html_url: `https://github.example/${repo.owner}/${repo.name}/security/dependabot/${a.number}`,
        created_at: a.createdAt,
        updated_at: a.createdAt,
        dismissed_at: null,
        dismissed_by: null,
        dismissed_reason: null,
        dismissed_comment: null,
        fixed_at: null,
        auto_dismissed_at: null,
      };
    });
    return withEtag(req, body, link ? { link } : {});
  }

  private environments(req: FakeRequest, repo: FakeRepo): FakeResponse {
    const sorted = [...repo.environments].sort((a, b) => cmp(a.name, b.name));
    const { page, link } = paginate(req, sorted);
    const body: { total_count: number; environments: S['environment'][] } = {
      total_count: sorted.length,
      environments: page.map((e, i) => {
        const rules: NonNullable<S['environment']['protection_rules']> = [];
        if (e.reviewers.length > 0) {
          rules.push({
            id: i * 10 + 1,
            node_id: `GA_${i}_1`,
            type: 'required_reviewers',
            prevent_self_review: e.preventSelfReview ?? false,
            reviewers: e.reviewers.map((r) => ({ type: r.type, reviewer: this.user(r.login) })),
          });
        }
        if (e.waitTimer)
          rules.push({ id: i * 10 + 2, node_id: `GA_${i}_2`, type: 'wait_timer', wait_timer: e.waitTimer });
        if (e.branchPolicy) rules.push({ id: i * 10 + 3, node_id: `GA_${i}_3`, type: 'branch_policy' });
        return {
          id: repo.id * 100 + i,
          node_id: `EN_${repo.id}_${i}`,
          name: e.name,
          url: `${this.repoUrl(repo)}/environments/${encodeURIComponent(e.name)}`,
          html_url: `https://github.example/${repo.owner}/${repo.name}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
          created_at: e.createdAt,
          updated_at: e.updatedAt,
          protection_rules: rules,
          deployment_branch_policy: e.branchPolicy
            ? {
                protected_branches: e.branchPolicy.protectedBranches,
                custom_branch_policies: e.branchPolicy.customBranchPolicies,
              }
            : null,
        };
      }),
    };
    return withEtag(req, body, link ? { link } : {});
  }

  // -------------------------------------------------------------------------------------------------
  // Typed bodies

  private repoUrl(repo: FakeRepo): string {
    return `${this.baseUrl}/repos/${repo.owner}/${repo.name}`;
  }

  user(login: string): S['simple-user'] {
    const id = Number.parseInt(sha1(login).slice(0, 8), 16);
    const url = `${this.baseUrl}/users/${login}`;
    return {
      login,
      id,
      node_id: `U_${id}`,
      avatar_url: `https://avatars.example/u/${id}`,
      gravatar_id: '',
      url,
      html_url: `https://github.example/${login}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: 'User',
      site_admin: false,
    };
  }

  team(org: string, slug: string): S['team'] {
    const id = Number.parseInt(sha1(`team:${org}/${slug}`).slice(0, 8), 16);
    const url = `${this.baseUrl}/orgs/${org}/teams/${slug}`;
    return {
      id,
      node_id: `T_${id}`,
      name: slug,
      slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'push',
      url,
      html_url: `https://github.example/orgs/${org}/teams/${slug}`,
      members_url: `${url}/members{/member}`,
      repositories_url: `${url}/repos`,
      type: 'organization',
      parent: null,
    };
  }

  integration(owner: string, slug: string): NonNullable<S['integration']> {
    const id = Number.parseInt(sha1(`app:${slug}`).slice(0, 6), 16);
    return {
      id,
      slug,
      node_id: `A_${id}`,
      client_id: `Iv1.${sha1(slug).slice(0, 16)}`,
      owner: this.user(owner),
      name: slug,
      description: null,
      external_url: `https://${slug}.example`,
      html_url: `https://github.example/apps/${slug}`,
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      permissions: { contents: 'write', metadata: 'read' },
      events: [],
    };
  }

  private repoUrls(repo: FakeRepo) {
    const u = this.repoUrl(repo);
    return {
      url: u,
      html_url: `https://github.example/${repo.owner}/${repo.name}`,
      archive_url: `${u}/{archive_format}{/ref}`,
      assignees_url: `${u}/assignees{/user}`,
      blobs_url: `${u}/git/blobs{/sha}`,
      branches_url: `${u}/branches{/branch}`,
      collaborators_url: `${u}/collaborators{/collaborator}`,
      comments_url: `${u}/comments{/number}`,
      commits_url: `${u}/commits{/sha}`,
      compare_url: `${u}/compare/{base}...{head}`,
      contents_url: `${u}/contents/{+path}`,
      contributors_url: `${u}/contributors`,
      deployments_url: `${u}/deployments`,
      downloads_url: `${u}/downloads`,
      events_url: `${u}/events`,
      forks_url: `${u}/forks`,
      git_commits_url: `${u}/git/commits{/sha}`,
      git_refs_url: `${u}/git/refs{/sha}`,
      git_tags_url: `${u}/git/tags{/sha}`,
      git_url: `git://github.example/${repo.owner}/${repo.name}.git`,
      issue_comment_url: `${u}/issues/comments{/number}`,
      issue_events_url: `${u}/issues/events{/number}`,
      issues_url: `${u}/issues{/number}`,
      keys_url: `${u}/keys{/key_id}`,
      labels_url: `${u}/labels{/name}`,
      languages_url: `${u}/languages`,
      merges_url: `${u}/merges`,
      milestones_url: `${u}/milestones{/number}`,
      notifications_url: `${u}/notifications{?since,all,participating}`,
      pulls_url: `${u}/pulls{/number}`,
      releases_url: `${u}/releases{/id}`,
      ssh_url: `git@github.example:${repo.owner}/${repo.name}.git`,
      stargazers_url: `${u}/stargazers`,
      statuses_url: `${u}/statuses/{sha}`,
      subscribers_url: `${u}/subscribers`,
      subscription_url: `${u}/subscription`,
      tags_url: `${u}/tags`,
      teams_url: `${u}/teams`,
      trees_url: `${u}/git/trees{/sha}`,
      clone_url: `https://github.example/${repo.owner}/${repo.name}.git`,
      hooks_url: `${u}/hooks`,
      svn_url: `https://github.example/${repo.owner}/${repo.name}`,
    };
  }

  repository(repo: FakeRepo): S['repository'] {
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      license: null,
      forks: 0,
      owner: this.user(repo.owner),
      private: repo.private,
      description: null,
      fork: repo.fork,
      ...this.repoUrls(repo),
      mirror_url: null,
      homepage: null,
      language: 'Python',
      forks_count: 0,
      stargazers_count: 0,
      watchers_count: 0,
      size: 100,
      default_branch: repo.defaultBranch,
      open_issues_count: 0,
      topics: repo.topics,
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: false,
      archived: repo.archived,
      disabled: false,
      visibility: repo.private ? 'private' : 'public',
      pushed_at: '2026-01-01T00:00:00Z',
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      open_issues: 0,
      watchers: 0,
    };
  }

  private minimalRepository(repo: FakeRepo): S['minimal-repository'] {
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: `${repo.owner}/${repo.name}`,
      owner: this.user(repo.owner),
      private: repo.private,
      description: null,
      fork: repo.fork,
      ...this.repoUrls(repo),
      default_branch: repo.defaultBranch,
      topics: repo.topics,
      archived: repo.archived,
      disabled: false,
      visibility: repo.private ? 'private' : 'public',
      pushed_at: '2026-01-01T00:00:00Z',
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
  }

  private fullRepository(repo: FakeRepo): S['full-repository'] {
    const r = this.repository(repo);
    return {
      ...r,
      pushed_at: '2026-01-01T00:00:00Z',
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      has_discussions: false,
      subscribers_count: 1,
      network_count: 0,
    };
  }

  private pullSimple(repo: FakeRepo, repository: S['repository'], p: FakePull): S['pull-request-simple'] {
    const u = `${this.repoUrl(repo)}/pulls/${p.number}`;
    const html = `https://github.example/${repo.owner}/${repo.name}/pull/${p.number}`;
    const link = (href: string): S['link'] => ({ href });
    return {
      url: u,
      id: repo.id * 100_000 + p.number,
      node_id: `PR_${repo.id}_${p.number}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${this.repoUrl(repo)}/issues/${p.number}`,
      commits_url: `${u}/commits`,
      review_comments_url: `${u}/comments`,
      review_comment_url: `${this.repoUrl(repo)}/pulls/comments{/number}`,
      comments_url: `${this.repoUrl(repo)}/issues/${p.number}/comments`,
      statuses_url: `${this.repoUrl(repo)}/statuses/${p.headSha}`,
      number: p.number,
      state: p.state,
      locked: false,
      title: p.title,
      user: this.user(p.author),
      body: null,
      labels: p.labels.map((name, i) => ({
        id: i + 1,
        node_id: `L_${i}`,
        url: `${this.repoUrl(repo)}/labels/${name}`,
        name,
        description: '',
        color: 'ededed',
        default: false,
      })),
      milestone: null,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      closed_at: p.closedAt,
      merged_at: p.mergedAt,
      merge_commit_sha: p.mergedAt ? sha1(`merge:${repo.id}:${p.number}`) : null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${repo.owner}:${p.headRef}`,
        ref: p.headRef,
        repo: repository,
        sha: p.headSha,
        user: this.user(p.author),
      },
      base: {
        label: `${repo.owner}:${p.base}`,
        ref: p.base,
        repo: repository,
        sha: sha1(`base:${p.number}`),
        user: this.user(repo.owner),
      },
      _links: {
        comments: link(`${u}/comments`),
        commits: link(`${u}/commits`),
        statuses: link(`${this.repoUrl(repo)}/statuses/${p.headSha}`),
        html: link(html),
        issue: link(`${this.repoUrl(repo)}/issues/${p.number}`),
        review_comments: link(`${u}/comments`),
        review_comment: link(`${this.repoUrl(repo)}/pulls/comments{/number}`),
        self: link(u),
      },
      author_association: 'MEMBER',
      auto_merge: null,
      draft: false,
    };
  }
}

/** An error body as GitHub sends them. */
export function notFoundish(status: number, message: string, headers: Record<string, string> = {}): FakeResponse {
  return {
    status,
    headers,
    body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status) },
  };
}

/** The sha git gives a file's content (`git hash-object`). */
export function gitBlobSha(content: string | Buffer): string {
  const buf = Buffer.from(content);
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

export function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function dec(s: string | undefined): string {
  return decodeURIComponent(s ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
