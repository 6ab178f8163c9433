import { SourceConfigError } from '../../core/errors';
import { withoutFinalStop, type RequestContext } from './client';
import type { JiraContext, QueryRun } from './context';
import type { PagePosition } from './cursor';
import { offsetSearchPageSchema, tokenSearchPageSchema, type JiraIssue } from './schemas';

/** Fields asked for on every search; configured custom fields are added by id. */
export const systemFields = [
  'summary',
  'issuetype',
  'status',
  'resolution',
  'priority',
  'project',
  'assignee',
  'reporter',
  'created',
  'updated',
  'resolutiondate',
  'labels',
  'components',
  'attachment',
];

/** The building blocks every jira-client method is made of: public in its JavaScript, private in @types/jira-client. */
interface JiraClientInternals {
  makeUri(options: {
    pathname: string;
    query?: Record<string, unknown>;
    intermediatePath?: string;
    encode?: boolean;
  }): string;
  makeRequestHeader(uri: string, options?: Record<string, unknown>): Record<string, unknown>;
  doRequest(options: Record<string, unknown>): Promise<unknown>;
}

export type SearchPage =
  | { kind: 'offset'; startAt: number; total: number; issues: JiraIssue[] }
  | { kind: 'token'; issues: JiraIssue[]; nextPageToken: string | undefined; isLast: boolean };

/** One page of a query's search: offset pagination on Data Center, token pagination on Jira Cloud. */
export async function searchPage(
  ctx: JiraContext,
  run: QueryRun,
  position: PagePosition,
  fields: string[],
): Promise<SearchPage> {
  const sid = ctx.source.id;
  const request: RequestContext = {
    entry: run.entry,
    detail: 'startAt' in position ? `startAt ${position.startAt}` : position.token ? 'next page' : 'first page',
    permission: `"Browse projects" on every project the JQL of ${run.entry} reads`,
    badRequest: (where, says) =>
      new SourceConfigError(
        `source "${sid}": Jira rejected the JQL of ${run.entry} (${where}): ${says ? withoutFinalStop(says) : 'HTTP 400'}. The JQL sent was: ${run.jql}`,
      ),
    notFound: (where, says) =>
      new SourceConfigError(
        `source "${sid}": ${where} answered 404 Not Found${says ? ` (${says})` : ''}: check url "${ctx.source.url}" and deployment "${ctx.source.deployment}"`,
      ),
  };
  const maxResults = ctx.source.pageSize;
  if ('startAt' in position) {
    const page = await ctx.client.json(request, offsetSearchPageSchema, () =>
      ctx.client.api.searchJira(run.jql, { startAt: position.startAt, maxResults, fields, expand: ['changelog'] }),
    );
    return { kind: 'offset', startAt: page.startAt, total: page.total, issues: page.issues };
  }
  // jira-client 8.2.2 predates the enhanced search that replaced POST /search on Jira Cloud; the request
  // is built from the same parts as its own methods. `expand` is a comma-separated string here.
  const internals = ctx.client.api as unknown as JiraClientInternals;
  const body: Record<string, unknown> = { jql: run.jql, maxResults, fields, expand: 'changelog' };
  if (position.token) body['nextPageToken'] = position.token;
  const page = await ctx.client.json(request, tokenSearchPageSchema, () =>
    internals.doRequest(
      internals.makeRequestHeader(internals.makeUri({ pathname: '/search/jql' }), {
        method: 'POST',
        followAllRedirects: true,
        body,
      }),
    ),
  );
  return {
    kind: 'token',
    issues: page.issues,
    nextPageToken: page.nextPageToken ?? undefined,
    isLast: page.isLast ?? false,
  };
}
