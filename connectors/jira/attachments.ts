import { Readable } from 'node:stream';
import type { CollectionStep } from '../types';
import type { RequestContext } from './client';
import { jiraCollector, stepCursor, type JiraContext, type QueryRun } from './context';
import type { PagePosition } from './cursor';
import { byNumericId } from './normalize';
import type { JiraAttachment, JiraIssue } from './schemas';

/** Attachments created since the query's lower bound (earlier ones were collected by earlier runs). */
export async function* attachmentSteps(
  ctx: JiraContext,
  run: QueryRun,
  position: PagePosition,
  issue: JiraIssue,
  after: string | undefined,
): AsyncGenerator<CollectionStep> {
  if (!ctx.source.attachments.download) return;
  const maxBytes = ctx.source.attachments.maxBytes;
  const list = [...(issue.fields.attachment ?? [])].sort(byNumericId);
  for (const att of list) {
    if (after !== undefined && byNumericId(att, { id: after }) <= 0) continue;
    if (run.since && Date.parse(att.created) < run.since.getTime()) continue;
    ctx.transport.signal?.throwIfAborted();
    if (att.size > maxBytes) {
      skipAttachment(ctx, run, issue, att, `${att.size} bytes, more than attachments.maxBytes (${maxBytes})`);
      continue;
    }
    const bytes = await download(ctx, run, issue, att);
    if (!bytes) continue;
    ctx.counters.attachmentsDownloaded++;
    ctx.counters.attachmentBytes += bytes.body.length;
    yield {
      cursor: stepCursor(run, position, issue.key, att.id),
      artifact: {
        meta: {
          externalId: `${run.query.kind}/${issue.key}/attachments/${att.id}`,
          kind: 'attachment',
          observedAt: att.created,
          mediaType: att.mimeType || 'application/octet-stream',
          attributes: {
            issueKey: issue.key,
            issueKind: run.query.kind,
            query: run.query.name,
            filename: att.filename,
            size: bytes.body.length,
            mimeType: att.mimeType ?? null,
            created: att.created,
            author: att.author?.displayName ?? att.author?.name ?? null,
          },
          provenance: { endpoint: bytes.url, apiVersion: '2', collector: jiraCollector },
        },
        open: () => Readable.from([bytes.body]),
      },
    };
  }
}

async function download(
  ctx: JiraContext,
  run: QueryRun,
  issue: JiraIssue,
  att: JiraAttachment,
): Promise<{ body: Buffer; url: string } | undefined> {
  const request: RequestContext = {
    entry: run.entry,
    detail: `attachment ${att.id} of ${issue.key}`,
    permission: `"Browse projects" on the project of ${issue.key} (attachments are readable with it)`,
  };
  const outcome = await ctx.client.call(request, () =>
    ctx.client.api.downloadAttachment({ id: att.id, filename: att.filename }),
  );
  if (outcome.kind === 'too-large') {
    skipAttachment(
      ctx,
      run,
      issue,
      att,
      `download exceeded attachments.maxBytes (${outcome.limit}) although Jira declared ${att.size} bytes`,
    );
    return undefined;
  }
  if (outcome.status === 404) {
    skipAttachment(ctx, run, issue, att, 'deleted since the search (404)');
    return undefined;
  }
  return { body: outcome.body, url: outcome.url };
}

function skipAttachment(ctx: JiraContext, run: QueryRun, issue: JiraIssue, att: JiraAttachment, reason: string): void {
  ctx.counters.attachmentsSkipped++;
  run.log.warn(
    { source: ctx.source.id, key: issue.key, attachment: att.id, filename: att.filename, reason },
    'attachment not downloaded',
  );
}
