import { Readable } from 'node:stream';
import { canonicalJson } from '../../core/digest';
import { SourceConfigError, SourceResponseError } from '../../core/errors';
import type { CollectionStep } from '../types';
import { attachmentSteps } from './attachments';
import { fullChangelog } from './changelog';
import { jiraCollector, observedAtRule, stepCursor, type JiraContext, type QueryRun } from './context';
import type { PagePosition } from './cursor';
import { normalizeIssue } from './normalize';
import type { JiraIssue } from './schemas';
import { searchPage, systemFields, type SearchPage } from './search';

/** Reads one query page by page, from its resume point if it has one, and yields its issues and attachments. */
export async function* collectQuery(ctx: JiraContext, run: QueryRun): AsyncGenerator<CollectionStep> {
  const cloud = ctx.source.deployment === 'cloud';
  let position: PagePosition = run.resume?.pos ?? (cloud ? { token: null } : { startAt: 0 });
  let resume = run.resume;
  const tokens = new Set<string>();
  const fields = [...systemFields, ...run.customFields.map((c) => c.id)];
  for (;;) {
    let page: SearchPage;
    try {
      page = await searchPage(ctx, run, position, fields);
    } catch (err) {
      // A resumed attempt may come back after Jira Cloud stopped accepting the page token it saved.
      if (!(resume && err instanceof SourceConfigError && 'token' in position && position.token !== null)) throw err;
      run.log.warn(
        { source: ctx.source.id, query: run.query.name, reason: err.message },
        'page token of the resume cursor refused; reading the query from its first page',
      );
      position = { token: null };
      resume = undefined;
      continue;
    }
    ctx.counters.pages++;
    let from = 0;
    if (resume) {
      const at = page.issues.findIndex((i) => i.key === resume!.k);
      if (at === -1) {
        run.log.warn(
          { source: ctx.source.id, query: run.query.name, key: resume.k },
          'issue of the resume cursor moved off its page; reading the whole page again',
        );
      } else {
        const issue = page.issues[at]!;
        run.emitted.add(`${run.query.kind}/${issue.key}`);
        // The issue itself was stored; its attachments after the cursor's one were not.
        yield* attachmentSteps(ctx, run, position, issue, resume.att);
        from = at + 1;
      }
      resume = undefined;
    }
    for (let i = from; i < page.issues.length; i++) {
      yield* issueSteps(ctx, run, position, page.issues[i]!);
    }
    if (page.kind === 'offset') {
      const requested = 'startAt' in position ? position.startAt : 0;
      const nextStart = requested + page.issues.length; // the server may return fewer than maxResults
      if (page.issues.length === 0 && requested < page.total) {
        run.log.warn(
          { source: ctx.source.id, query: run.query.name, startAt: requested, total: page.total },
          'Jira returned an empty page before the total; ending the query',
        );
      }
      if (page.issues.length === 0 || nextStart >= page.total) break;
      position = { startAt: nextStart };
    } else {
      if (page.isLast || !page.nextPageToken || page.issues.length === 0) break;
      if (tokens.has(page.nextPageToken)) {
        throw new SourceResponseError(
          `source "${ctx.source.id}": POST /rest/api/2/search/jql (${run.entry}) returned a page token it returned before; stopping instead of looping`,
        );
      }
      tokens.add(page.nextPageToken);
      position = { token: page.nextPageToken };
    }
  }
}

/** The normalized issue (once per run and kind, however many queries find it), then its new attachments. */
async function* issueSteps(
  ctx: JiraContext,
  run: QueryRun,
  position: PagePosition,
  issue: JiraIssue,
): AsyncGenerator<CollectionStep> {
  const id = `${run.query.kind}/${issue.key}`;
  if (run.emitted.has(id)) {
    ctx.counters.duplicateIssues++;
    return;
  }
  run.emitted.add(id);
  const histories = await fullChangelog(ctx, run, issue);
  const statusCategory = await ctx.statusCategories.categoryOf(issue.fields.status);
  const normalized = normalizeIssue(issue, histories, {
    statusCategory,
    kind: run.query.kind,
    query: run.query.name,
    observedAtRule: observedAtRule(run.query),
    customFields: run.customFields,
    siteUrl: ctx.siteUrl,
  });
  const bytes = Buffer.from(canonicalJson(normalized.record));
  ctx.counters.issues++;
  yield {
    cursor: stepCursor(run, position, issue.key),
    artifact: {
      meta: {
        externalId: id,
        kind: run.query.kind,
        observedAt: normalized.observedAt,
        mediaType: 'application/json',
        attributes: normalized.attributes,
        provenance: {
          endpoint: `${ctx.siteUrl}/rest/api/2/issue/${issue.key}`,
          apiVersion: '2',
          collector: jiraCollector,
        },
      },
      open: () => Readable.from([bytes]),
    },
  };
  yield* attachmentSteps(ctx, run, position, issue, undefined);
}
