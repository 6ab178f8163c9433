import type { JsonValue } from '../../../core/json';
import { codeUnitOrder } from '../../../core/order';
import { environmentListSchema } from '../api-schemas';
import { normalizeEnvironment } from '../normalize/environments';
import type { RepoState, StoredItem } from '../state';
import type { CollectContext, RepoCtx, Run, Step } from './context';
import { enc, snapshot } from './requests';

/** Deployment environments and their protection rules, one `environment` artifact each, by name. */
export async function* collectEnvironments(
  cx: CollectContext,
  ctx: RepoCtx,
  prev: RepoState['environments'],
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, RepoState['environments']> {
  const url = `${ctx.base}/environments?per_page=${cx.cfg.requests.perPage}`;
  const resumeAfter = typeof at === 'string' ? at : undefined;
  const full = ctx.repo.fullName;
  const res = await snapshot(cx, url, environmentListSchema, (d) => d.environments ?? [], prev?.pages, {
    ...run.spec(ctx),
    allow: [404],
  });
  if (res.kind === 'status') return undefined; // no environments API for this repository (plan or visibility)
  const date = cx.dateOf(res.date, run);
  if (res.kind === 'not-modified') {
    const items: StoredItem[] = [];
    for (const item of [...prev!.items].sort((a, b) =>
      codeUnitOrder(String(a.meta.attributes['environment']), String(b.meta.attributes['environment'])),
    )) {
      const name = String(item.meta.attributes['environment']);
      if (resumeAfter !== undefined && name <= resumeAfter) continue;
      const e = cx.reemit(item, { observedAt: date, ...(res.etag ? { etag: res.etag } : {}) });
      items.push(e.stored);
      yield { artifact: e.artifact, at: name };
    }
    return resumeAfter !== undefined ? prev : { pages: prev!.pages, items };
  }
  const items: StoredItem[] = [];
  for (const env of [...res.items].sort((a, b) => codeUnitOrder(a.name, b.name))) {
    if (resumeAfter !== undefined && env.name <= resumeAfter) continue;
    const e = cx.emitJson(
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
