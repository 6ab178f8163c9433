import { createHash } from 'node:crypto';
import { HttpFake, type FakeRequest, type FakeResponse } from './http-fake';

/**
 * A fake Hugging Face Hub on a real socket, answering the paths `huggingface_hub` and huggingface.js request
 * with the shapes the Hub documents: `GET /api/{models,datasets}?author=&full=true` (cursor pages with a
 * `Link: <...>; rel="next"` header), `/api/{models,datasets}/{repo}/revision/{rev}`,
 * `/api/{models,datasets}/{repo}/commits/{rev}` (newest first, `?p=` pages of 50 with a Link header) and
 * `/{repo}/resolve/{rev}/README.md` (`/datasets/{repo}/...` for datasets). Every answer carries the Hub's
 * rate-limit headers (`RateLimit: "api";r=<remaining>;t=<seconds>`, `RateLimit-Policy`).
 */
export interface FakeCommit {
  id: string;
  title: string;
  authors: string[];
  date: string;
}

export interface FakeRepo {
  type: 'model' | 'dataset';
  id: string;
  private?: boolean;
  gated?: false | 'auto' | 'manual';
  /** Newest first; `commits[0].id` is the repo's sha. */
  commits: FakeCommit[];
  readme?: string;
  safetensors?: { parameters: Record<string, number>; total: number };
  tags?: string[];
  pipelineTag?: string;
}

const commitPage = 50;
const listPage = 50;

export function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** A commit list of `n` commits, newest first, by two alternating authors. */
export function commitsOf(repo: string, n: number, from = 0): FakeCommit[] {
  const out: FakeCommit[] = [];
  for (let i = from + n - 1; i >= from; i--)
    out.push({
      id: fakeSha(`${repo}#${i}`),
      title: `commit ${i} of ${repo}`,
      authors: [i % 2 ? 'alice' : 'bob'],
      date: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(),
    });
  return out;
}

export class HuggingfaceHubFake {
  readonly repos = new Map<string, FakeRepo>();
  /** The one token that reads private and gated repos; any other token is rejected everywhere (401). */
  token = 'hf_valid_token';
  /** Requests left in the current window, as the RateLimit header reports it. */
  remaining = 500;

  private constructor(readonly http: HttpFake) {}

  static async start(): Promise<HuggingfaceHubFake> {
    const holder: { hub?: HuggingfaceHubFake } = {};
    const http = await HttpFake.start((req) => holder.hub!.answer(req));
    holder.hub = new HuggingfaceHubFake(http);
    http.onHeaders(() => ({
      ratelimit: `"api";r=${Math.max(0, --holder.hub!.remaining)};t=120`,
      'ratelimit-policy': '"fixed window";"api";q=500;w=300',
    }));
    return holder.hub;
  }

  get url(): string {
    return this.http.baseUrl;
  }

  add(repo: FakeRepo): void {
    this.repos.set(`${repo.type}:${repo.id}`, repo);
  }

  private auth(req: FakeRequest): 'none' | 'valid' | 'invalid' {
    const h = req.headers['authorization'];
    if (!h) return 'none';
    return h === `Bearer ${this.token}` ? 'valid' : 'invalid';
  }

  private answer(req: FakeRequest): FakeResponse {
    const auth = this.auth(req);
    if (auth === 'invalid') return { status: 401, body: { error: 'Invalid credentials in Authorization header' } };
    const segs = req.path.split('/').filter(Boolean);
    // /api/models?author=
    if (segs[0] === 'api' && (segs[1] === 'models' || segs[1] === 'datasets') && segs.length === 2) {
      const type = segs[1] === 'models' ? 'model' : 'dataset';
      const author = req.query.get('author');
      const all = [...this.repos.values()]
        .filter((r) => r.type === type && r.id.split('/')[0] === author && (!r.private || auth === 'valid'))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const start = Number(req.query.get('cursor') ?? 0);
      const limit = Math.min(listPage, Number(req.query.get('limit') ?? listPage));
      const page = all.slice(start, start + limit).map((r) => this.listed(r));
      const headers: Record<string, string> = {};
      if (start + limit < all.length) {
        const next = new URL(req.url);
        next.searchParams.set('cursor', String(start + limit));
        headers['link'] = `<${next.href}>; rel="next"`;
      }
      return { status: 200, headers, body: page };
    }
    // /api/models/{owner}/{name}/revision/{rev} and /commits/{rev}
    if (segs[0] === 'api' && (segs[1] === 'models' || segs[1] === 'datasets') && segs.length === 6) {
      const type = segs[1] === 'models' ? 'model' : 'dataset';
      const repo = this.repos.get(`${type}:${segs[2]}/${segs[3]}`);
      const denied = this.denied(repo, auth);
      if (denied) return denied;
      const at = this.revision(repo!, segs[5]!);
      if (at < 0) return { status: 404, body: { error: 'Revision not found' } };
      if (segs[4] === 'revision') return { status: 200, body: this.info(repo!, at) };
      if (segs[4] === 'commits') {
        const p = Number(req.query.get('p') ?? 0);
        const list = repo!.commits.slice(at);
        const page = list.slice(p * commitPage, (p + 1) * commitPage).map((c) => ({
          id: c.id,
          title: c.title,
          message: `${c.title}\n`,
          authors: c.authors.map((user) => ({ user, avatar: `https://cdn.example/${user}.png` })),
          date: c.date,
        }));
        const headers: Record<string, string> = {};
        if ((p + 1) * commitPage < list.length) {
          const next = new URL(req.url);
          next.searchParams.set('p', String(p + 1));
          headers['link'] = `<${next.href}>; rel="next"`;
        }
        return { status: 200, headers, body: page };
      }
    }
    // /{owner}/{name}/resolve/{rev}/README.md and /datasets/{owner}/{name}/resolve/{rev}/README.md
    const fileSegs = segs[0] === 'datasets' ? segs.slice(1) : segs;
    if (fileSegs.length === 5 && fileSegs[2] === 'resolve') {
      const repo = this.repos.get(`${segs[0] === 'datasets' ? 'dataset' : 'model'}:${fileSegs[0]}/${fileSegs[1]}`);
      const denied = this.denied(repo, auth);
      if (denied) return denied;
      if (this.revision(repo!, fileSegs[3]!) < 0 || fileSegs[4] !== 'README.md' || repo!.readme === undefined)
        return { status: 404, body: { error: 'Entry not found' } };
      return {
        status: 200,
        headers: { 'content-type': 'text/markdown; charset=utf-8', etag: `"${fakeSha(repo!.readme)}"` },
        body: repo!.readme,
      };
    }
    return { status: 404, body: { error: 'Not Found' } };
  }

  private denied(repo: FakeRepo | undefined, auth: 'none' | 'valid' | 'invalid'): FakeResponse | undefined {
    if (!repo) return { status: 404, body: { error: 'Repository not found' } };
    // The Hub answers 401 for a private repo to an anonymous caller (it does not reveal whether it exists),
    // and for a gated repo without a token that was granted access.
    if ((repo.private || repo.gated) && auth !== 'valid')
      return { status: 401, body: { error: `Access to ${repo.type} ${repo.id} is restricted.` } };
    return undefined;
  }

  private revision(repo: FakeRepo, rev: string): number {
    return rev === 'main' ? 0 : repo.commits.findIndex((c) => c.id === rev);
  }

  private listed(r: FakeRepo) {
    return {
      _id: fakeSha(r.id).slice(0, 24),
      id: r.id,
      sha: r.commits[0]!.id,
      lastModified: r.commits[0]!.date,
      private: r.private ?? false,
      gated: r.gated ?? false,
    };
  }

  private info(r: FakeRepo, at: number) {
    const commit = r.commits[at]!;
    return {
      ...this.listed(r),
      sha: commit.id,
      lastModified: commit.date,
      createdAt: r.commits.at(-1)!.date,
      tags: r.tags ?? [],
      ...(r.pipelineTag ? { pipeline_tag: r.pipelineTag } : {}),
      siblings: [{ rfilename: '.gitattributes' }, ...(r.readme !== undefined ? [{ rfilename: 'README.md' }] : [])],
      ...(r.safetensors ? { safetensors: r.safetensors } : {}),
      downloads: 0,
      likes: 0,
    };
  }
}
