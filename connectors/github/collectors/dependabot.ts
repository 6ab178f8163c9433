import type { JsonValue } from '../../../core/json';
import { dependabotAlertListSchema } from '../api-schemas';
import { disabledDependabot, normalizeDependabot, withAlertAges } from '../normalize/dependabot';
import type { RepoState } from '../state';
import type { CollectContext, RepoCtx, Run, Step } from './context';
import { snapshot } from './requests';

/** Open Dependabot alerts as one `dependabot-alerts` artifact (or the record that they are disabled). */
export async function* collectDependabot(
  cx: CollectContext,
  ctx: RepoCtx,
  prev: RepoState['dependabot'],
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, RepoState['dependabot']> {
  if (at !== undefined) return prev;
  const url = `${ctx.base}/dependabot/alerts?state=open&per_page=${cx.cfg.requests.perPage}`;
  const full = ctx.repo.fullName;
  // GitHub answers 403 "Dependabot alerts are disabled for this repository": evidence, not an error.
  const allow = (status: number, message: string) => status === 403 && /disabled|not enabled/i.test(message);
  const res = await snapshot(cx, url, dependabotAlertListSchema, (d) => d, prev?.pages, { ...run.spec(ctx), allow });
  if (res.kind === 'not-modified') {
    const e = cx.reemit(prev!.item, {
      observedAt: cx.dateOf(res.date, run),
      attributes: withAlertAges(prev!.item.meta.attributes, run.now),
      ...(res.etag ? { etag: res.etag } : {}),
    });
    yield { artifact: e.artifact, at: 'done' };
    return { ...prev!, item: e.stored };
  }
  const n =
    res.kind === 'status'
      ? disabledDependabot(full, res.message, run.now)
      : normalizeDependabot(full, res.items, run.now);
  const e = cx.emitJson(
    'dependabot-alerts',
    `${full}/dependabot-alerts`,
    cx.dateOf(res.date, run),
    url,
    res.kind === 'fresh' ? res.etag : undefined,
    n,
  );
  yield { artifact: e.artifact, at: 'done' };
  return { pages: res.kind === 'fresh' ? res.pages : [], item: e.stored };
}
