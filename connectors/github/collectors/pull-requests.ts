import { z } from 'zod';
import { parseDuration } from '../../../core/duration';
import type { JsonValue } from '../../../core/json';
import { pullListSchema, reviewListSchema, type Pull, type Review } from '../api-schemas';
import type { GetResult, OkResult } from '../client';
import { iso } from '../normalize/normalized';
import { normalizePull, pruneTally, summarizePulls, tallyPull, type PullTally } from '../normalize/pull-requests';
import { isSeen, pullsStateSchema, type PullsState, type Seen } from '../state';
import type { CollectContext, RepoCtx, Run, Step } from './context';
import { listAll, mapLimit, ok } from './requests';

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

/** Merged pull requests in the window with their reviews, then the repository's `pull-request-summary`. */
export async function* collectPulls(
  cx: CollectContext,
  ctx: RepoCtx,
  prev: PullsState | undefined,
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, PullsState | undefined> {
  const cfg = cx.cfg.collect.pullRequests;
  if (cfg === false) return undefined;
  const windowStart = run.now.getTime() - parseDuration(cfg.window)!;
  const full = ctx.repo.fullName;
  const spec = run.spec(ctx);
  const first = cx.client.url(
    `${ctx.base}/pulls?state=closed&sort=updated&direction=desc&per_page=${cx.cfg.requests.perPage}`,
  );
  const resume = at === undefined ? undefined : pullResumeSchema.parse(at);
  // The window's summary closes every run, whether the list was unchanged (304) or paged through; it is
  // dated by the list answer's Date header (kept in acc) so an unchanged list re-emits identical bytes.
  const summaryStep = (done: PullAcc): Step => {
    const summary = summarizePulls(full, cfg.window, windowStart, done.tally);
    const e = cx.emitJson(
      'pull-request-summary',
      `${full}/pull-request-summary`,
      cx.dateOf(done.date, run),
      first,
      done.etag,
      summary,
    );
    return { artifact: e.artifact, at: { phase: 'done', acc: done } };
  };
  let acc: PullAcc;
  let url: string | undefined;
  let page: GetResult<Pull[]> | undefined;
  let after: number | undefined;
  if (resume) {
    acc = resume.acc;
    if (resume.phase === 'done') return pullsState(acc, windowStart);
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
    page = await cx.client.get(first, pullListSchema, { ...spec, ...(prev?.etag ? { etag: prev.etag } : {}) });
    if (page.kind === 'not-modified') {
      // Sorted by last update: an unchanged first page means no pull request changed since the last run.
      acc.etag = prev!.etag;
      if (page.date) acc.date = page.date;
      yield summaryStep(acc);
      return pullsState(acc, windowStart);
    }
    const okPage = ok(page);
    if (okPage.etag) acc.etag = okPage.etag;
    if (okPage.date) acc.date = okPage.date;
    url = first;
  }

  const counted = new Set<number>();
  while (url) {
    const res: OkResult<Pull[]> = ok(page ?? (await cx.client.get(url, pullListSchema, spec)));
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
    const reviews = await mapLimit(todo, cx.cfg.requests.concurrency, (pr) =>
      listAll(cx, `${ctx.base}/pulls/${pr.number}/reviews?per_page=100`, reviewListSchema, (d): Review[] => d, spec),
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
      const e = cx.emitJson(
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
  yield summaryStep(acc);
  return pullsState(acc, windowStart);
}

function pullsState(acc: PullAcc, windowStart: number): PullsState {
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
