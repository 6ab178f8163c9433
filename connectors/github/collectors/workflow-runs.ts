import { z } from 'zod';
import { parseDuration } from '../../../core/duration';
import type { JsonValue } from '../../../core/json';
import { runArtifactsSchema, workflowRunsSchema } from '../api-schemas';
import type { GetResult, OkResult } from '../client';
import { iso } from '../normalize/normalized';
import { normalizeRun } from '../normalize/workflow-runs';
import { advanceWatermark, isSeen, type RepoState, type Seen, type Watermark } from '../state';
import type { CollectContext, RepoCtx, Run, Step } from './context';
import { enc, listAll, mapLimit, ok } from './requests';

const runResumeSchema = z.object({ wf: z.number().int(), page: z.string(), after: z.string() });

/** Workflow runs can finish long after they were created; runs this recent are looked at again. */
const runLookbackMs = 24 * 3_600_000;

/** Completed runs of the configured workflows in the window, with their artifacts; one `workflow-run` each. */
export async function* collectRuns(
  cx: CollectContext,
  ctx: RepoCtx,
  prev: RepoState['runs'],
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, RepoState['runs']> {
  const cfg = cx.cfg.collect.workflowRuns;
  if (cfg === false) return undefined;
  const windowStart = run.now.getTime() - parseDuration(cfg.window)!;
  const spec = run.spec(ctx);
  const resume = at === undefined ? undefined : runResumeSchema.parse(at);
  const next: Record<string, Watermark> = {};
  for (const [w, workflow] of cfg.workflows.entries()) {
    if (resume && w < resume.wf) continue;
    const prevW = prev?.[workflow];
    const first = cx.client.url(
      `${ctx.base}/actions/workflows/${enc(workflow)}/runs?status=completed&exclude_pull_requests=true&per_page=${cx.cfg.requests.perPage}`,
    );
    const resumingHere = resume !== undefined && resume.wf === w;
    let page: GetResult<z.infer<typeof workflowRunsSchema>> | undefined;
    if (!resumingHere) {
      page = await cx.client.get(first, workflowRunsSchema, {
        ...spec,
        allow: [404],
        ...(prevW?.etag ? { etag: prevW.etag } : {}),
      });
      if (page.kind === 'status') {
        cx.log.debug(
          { source: cx.cfg.id, repository: ctx.repo.fullName, workflow },
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
        page ?? (await cx.client.get(url, workflowRunsSchema, spec)),
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
      const artifacts = await mapLimit(todo, cx.cfg.requests.concurrency, (r) =>
        listAll(
          cx,
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
        const e = cx.emitJson(
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
