import { z } from 'zod';
import type { JsonValue } from '../../../core/json';
import { releaseListSchema, tagListSchema } from '../api-schemas';
import type { GetResult, OkResult } from '../client';
import { iso } from '../normalize/normalized';
import { normalizeRelease, normalizeTags } from '../normalize/releases';
import { advanceWatermark, isSeen, type RepoState, type Seen, type Watermark } from '../state';
import type { CollectContext, RepoCtx, Run, Step } from './context';
import { ok, snapshot } from './requests';

// Releases and tags: what was shipped.

const pageResumeSchema = z.object({ page: z.string(), after: z.string() });

/** Published releases newer than the watermark, one `release` artifact each. */
export async function* collectReleases(
  cx: CollectContext,
  ctx: RepoCtx,
  prev: Watermark | undefined,
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, Watermark | undefined> {
  const spec = run.spec(ctx);
  const first = cx.client.url(`${ctx.base}/releases?per_page=${cx.cfg.requests.perPage}`);
  const resume = at === undefined ? undefined : pageResumeSchema.parse(at);
  let page: GetResult<z.infer<typeof releaseListSchema>> | undefined;
  if (!resume) {
    page = await cx.client.get(first, releaseListSchema, { ...spec, ...(prev?.etag ? { etag: prev.etag } : {}) });
    if (page.kind === 'not-modified') return prev;
  }
  const etag = page ? ok(page).etag : undefined;
  const cutoff = prev?.hw;
  const processed: Seen = [];
  let url: string | undefined = resume?.page ?? first;
  let after = resume?.after;
  while (url) {
    const res: OkResult<z.infer<typeof releaseListSchema>> = ok(
      page ?? (await cx.client.get(url, releaseListSchema, spec)),
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
      const e = cx.emitJson(
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

/** All tags as one `tags` artifact, re-emitted while the list answers 304. */
export async function* collectTags(
  cx: CollectContext,
  ctx: RepoCtx,
  prev: RepoState['tags'],
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, RepoState['tags']> {
  if (at !== undefined) return prev;
  const url = `${ctx.base}/tags?per_page=${cx.cfg.requests.perPage}`;
  const res = await snapshot(cx, url, tagListSchema, (d) => d, prev?.pages, run.spec(ctx));
  if (res.kind === 'not-modified') {
    const e = cx.reemit(prev!.item, {
      observedAt: cx.dateOf(res.date, run),
      ...(res.etag ? { etag: res.etag } : {}),
    });
    yield { artifact: e.artifact, at: 'done' };
    return { ...prev!, item: e.stored };
  }
  const items = res.kind === 'fresh' ? res.items : [];
  const e = cx.emitJson(
    'tags',
    `${ctx.repo.fullName}/tags`,
    cx.dateOf(res.date, run),
    url,
    res.kind === 'fresh' ? res.etag : undefined,
    normalizeTags(ctx.repo.fullName, items),
  );
  yield { artifact: e.artifact, at: 'done' };
  return { pages: res.kind === 'fresh' ? res.pages : [], item: e.stored };
}
