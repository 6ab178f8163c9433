import type { RequestContext } from './client';
import type { JiraContext, QueryRun } from './context';
import { changelogPageSchema, issueWithChangelogSchema, type JiraHistory, type JiraIssue } from './schemas';

/**
 * The whole changelog. A search expands at most a page of histories per issue (100 on Jira Cloud); when
 * `total` says there are more, the rest is read from the issue (paged on Cloud, at once on Data Center).
 */
export async function fullChangelog(ctx: JiraContext, run: QueryRun, issue: JiraIssue): Promise<JiraHistory[]> {
  const cl = issue.changelog;
  const have = cl?.histories ?? [];
  if (cl && (cl.startAt ?? 0) === 0 && have.length >= (cl.total ?? have.length)) return have;
  const request: RequestContext = {
    entry: run.entry,
    detail: `changelog of ${issue.key}`,
    permission: `"Browse projects" on project of ${issue.key}`,
  };
  if (ctx.source.deployment === 'datacenter') {
    ctx.counters.changelogRequests++;
    const outcome = await ctx.client.call(request, () => ctx.client.api.findIssue(issue.key, 'changelog', 'created'));
    if (outcome.kind === 'too-large' || outcome.status === 404) return keepPartialChangelog(ctx, run, issue, have);
    return ctx.client.parse(outcome, request, issueWithChangelogSchema).changelog.histories;
  }
  const all: JiraHistory[] = [];
  for (let startAt = 0; ;) {
    ctx.counters.changelogRequests++;
    const outcome = await ctx.client.call({ ...request, detail: `changelog of ${issue.key}, startAt ${startAt}` }, () =>
      ctx.client.api.getIssueChangelog(issue.key, startAt, 100),
    );
    if (outcome.kind === 'too-large' || outcome.status === 404) return keepPartialChangelog(ctx, run, issue, have);
    const page = ctx.client.parse(outcome, request, changelogPageSchema);
    all.push(...page.values);
    startAt += page.values.length;
    if (page.isLast === true || page.values.length === 0 || startAt >= page.total) break;
  }
  return all;
}

function keepPartialChangelog(ctx: JiraContext, run: QueryRun, issue: JiraIssue, have: JiraHistory[]): JiraHistory[] {
  run.log.warn(
    { source: ctx.source.id, key: issue.key },
    'full changelog not readable (issue deleted or too large); recording the part the search returned',
  );
  return have;
}
