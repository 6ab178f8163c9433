import type { JsonValue } from '../../../core/json';
import { branchProtectionSchema, branchRulesSchema } from '../api-schemas';
import { normalizeBranchProtection } from '../normalize/branch-protection';
import type { RepoState } from '../state';
import type { CollectContext, RepoCtx, Run, Step } from './context';
import { enc, ok, snapshot } from './requests';

/** Classic protection and the rulesets of the default branch, as one `branch-protection` artifact. */
export async function* collectProtection(
  cx: CollectContext,
  ctx: RepoCtx,
  prev: RepoState['protection'],
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, RepoState['protection']> {
  if (at !== undefined) return prev; // its single artifact was emitted before the interruption
  const branch = ctx.repo.defaultBranch;
  const classicUrl = `${ctx.base}/branches/${enc(branch)}/protection`;
  const rulesUrl = `${ctx.base}/rules/branches/${enc(branch)}?per_page=${cx.cfg.requests.perPage}`;
  const spec = run.spec(ctx);
  // 404: the branch is not protected (or does not exist yet). 403 with "upgrade": not on this plan.
  const allow = (status: number, message: string) =>
    status === 404 || (status === 403 && /upgrade|not available|enable this feature/i.test(message));
  let classic = await cx.client.get(classicUrl, branchProtectionSchema, {
    ...spec,
    allow,
    ...(prev?.classicEtag ? { etag: prev.classicEtag } : {}),
  });
  // 404: an Enterprise Server without rulesets (before 3.9): no rules apply. Not read at all when the
  // source collects classic protection only (collect.branchRulesets: false): one request less per repository.
  const readRules = (etags: RepoState['protection'] | undefined) =>
    snapshot(cx, rulesUrl, branchRulesSchema, (d) => d, etags?.rules, { ...spec, allow: [404] });
  const wantRules = cx.cfg.collect.branchRulesets;
  let rules = wantRules ? await readRules(prev) : undefined;
  const classicSame =
    classic.kind === 'not-modified' ||
    (classic.kind !== 'ok' && prev?.classicAbsent === true && prev.classicEtag === undefined);
  if (prev && classicSame && (rules === undefined || rules.kind === 'not-modified')) {
    const e = cx.reemit(prev.item, {
      observedAt: cx.dateOf(classic.date, run),
      ...(classic.kind === 'not-modified' && classic.etag ? { etag: classic.etag } : {}),
    });
    yield { artifact: e.artifact, at: 'done' };
    return { ...prev, item: e.stored };
  }
  // Something changed: the part that answered 304 is read again, so the record is built whole.
  if (classic.kind === 'not-modified')
    classic = await cx.client.get(classicUrl, branchProtectionSchema, { ...spec, allow });
  if (rules?.kind === 'not-modified') rules = await readRules(undefined);
  const ruleItems = rules?.kind === 'fresh' ? rules.items : [];
  const classicData = classic.kind === 'ok' ? ok(classic).data : undefined;
  const n = normalizeBranchProtection(ctx.repo.fullName, branch, classicData, ruleItems);
  const classicEtag = classic.kind === 'ok' ? ok(classic).etag : undefined;
  const e = cx.emitJson(
    'branch-protection',
    `${ctx.repo.fullName}/branch-protection`,
    cx.dateOf(classic.date, run),
    classicUrl,
    classicEtag,
    n,
  );
  yield { artifact: e.artifact, at: 'done' };
  return {
    ...(classicEtag ? { classicEtag } : {}),
    classicAbsent: classic.kind !== 'ok',
    ...(rules?.kind === 'fresh' ? { rules: rules.pages } : {}),
    item: e.stored,
  };
}
