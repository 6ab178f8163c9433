import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { SourceResponseError } from '../../../core/errors';
import { commitListSchema, blobSchema } from '../api-schemas';
import type { GetResult, OkResult, RequestSpec } from '../client';
import { iso } from '../normalize/normalized';
import type { LastCommit } from '../normalize/files';
import type { PageEtag } from '../state';
import type { CollectContext, RepoCtx } from './context';

/** A whole list as read by `snapshot`: fresh items, unchanged since the ETags (304), or an allowed status. */
export type Snapshot<I> =
  | { kind: 'fresh'; items: I[]; pages: PageEtag[]; date?: string; etag?: string }
  | { kind: 'not-modified'; pages: PageEtag[]; date?: string; etag?: string }
  | { kind: 'status'; status: number; message: string; date?: string };

/**
 * A whole list whose every page is known by ETag: when all pages answer 304 nothing changed (no rate
 * limit spent). Otherwise the list is read again from its first page. A full last page is not
 * trusted to be the last (an item appended at the end would start a page we never asked for).
 */
export async function snapshot<P, I>(
  cx: CollectContext,
  first: string,
  schema: z.ZodType<P>,
  items: (p: P) => I[],
  prevPages: PageEtag[] | undefined,
  spec: RequestSpec,
): Promise<Snapshot<I>> {
  const firstUrl = cx.client.url(first);
  let firstAnswer: GetResult<P> | undefined;
  if (
    prevPages &&
    prevPages.length > 0 &&
    prevPages[0]!.url === firstUrl &&
    prevPages.at(-1)!.n < cx.cfg.requests.perPage
  ) {
    let date: string | undefined;
    let etag: string | undefined;
    let all304 = true;
    for (const [i, p] of prevPages.entries()) {
      const r = await cx.client.get(p.url, schema, { ...spec, etag: p.etag });
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
    if (all304) return { kind: 'not-modified', pages: prevPages, ...(date ? { date } : {}), ...(etag ? { etag } : {}) };
  }
  const out: I[] = [];
  const pages: PageEtag[] = [];
  let complete = true;
  let url: string | undefined = firstUrl;
  let date: string | undefined;
  let etag: string | undefined;
  while (url) {
    const r: GetResult<P> = firstAnswer ?? (await cx.client.get(url, schema, spec));
    firstAnswer = undefined;
    if (r.kind !== 'ok') {
      if (url === firstUrl && 'message' in r)
        return { kind: 'status', status: r.status, message: r.message, ...(r.date ? { date: r.date } : {}) };
      throw new SourceResponseError(
        `source "${cx.cfg.id}": ${cx.client.endpoint(url)} answered ${r.status} in the middle of a list`,
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
export async function listAll<P, I>(
  cx: CollectContext,
  first: string,
  schema: z.ZodType<P>,
  items: (p: P) => I[],
  spec: RequestSpec,
): Promise<I[]> {
  const res = await snapshot(cx, first, schema, items, undefined, spec);
  return res.kind === 'fresh' ? res.items : [];
}

/** File bytes by git blob sha, checked against the sha (a cut-off or altered body fails). */
export async function blob(cx: CollectContext, ctx: RepoCtx, sha: string, spec: RequestSpec): Promise<Buffer> {
  const url = `${ctx.base}/git/blobs/${sha}`;
  const res = ok(await cx.client.get(url, blobSchema, spec));
  const content =
    res.data.encoding === 'base64' ? Buffer.from(res.data.content, 'base64') : Buffer.from(res.data.content, 'utf8');
  const actual = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
  if (actual !== sha) {
    throw new SourceResponseError(
      `source "${cx.cfg.id}": ${cx.client.endpoint(res.url)} returned content whose git sha is ${actual}, not ${sha} (truncated or altered)`,
    );
  }
  return content;
}

/** The last commit that touched a file on the default branch (its time dates the file). */
export async function fileLastCommit(
  cx: CollectContext,
  ctx: RepoCtx,
  filePath: string,
  spec: RequestSpec,
): Promise<LastCommit | undefined> {
  const url = `${ctx.base}/commits?sha=${enc(ctx.repo.defaultBranch)}&path=${enc(filePath)}&per_page=1`;
  const res = ok(await cx.client.get(url, commitListSchema, spec));
  const c = res.data[0];
  if (!c) return undefined;
  const at = c.commit.committer?.date ?? c.commit.author?.date;
  return {
    sha: c.sha,
    at: at ? iso(at) : cx.now().toISOString(),
    author: c.author?.login ?? c.commit.author?.name ?? null,
  };
}

/** The 200 answer of a request that allows no other status. */
export function ok<T>(r: GetResult<T>): OkResult<T> {
  if (r.kind !== 'ok') throw new Error(`internal: expected a 200 answer, got ${r.status}`);
  return r;
}

// Shared with evidence/verify.ts; re-exported for the collectors that import it from here.
export { mapLimit } from '../../../core/map-limit';

/** One URL path segment. */
export function enc(segment: string): string {
  return encodeURIComponent(segment);
}
