import type { Logger } from 'pino';
import type { JiraRestClient } from './client';
import type { JiraQueryConfig, JiraSourceConfig } from './config';
import { encodeCursor, type JiraCursor, type PagePosition } from './cursor';
import type { ResolvedCustomField } from './normalize';
import type { StatusCategories } from './status-categories';
import type { JiraTransport } from './transport';

export const jiraCollector = 'jira@1.0.0';

/** Counters reported by `stats()`, beside the client's request counters. */
export function newJiraCounters() {
  return {
    pages: 0,
    issues: 0,
    duplicateIssues: 0,
    changelogRequests: 0,
    attachmentsDownloaded: 0,
    attachmentsSkipped: 0,
    attachmentBytes: 0,
  };
}
export type JiraCounters = ReturnType<typeof newJiraCounters>;

/** What the parts of one connector share for a run: the source, the client and the counters it fills. */
export interface JiraContext {
  readonly source: JiraSourceConfig;
  readonly client: JiraRestClient;
  readonly transport: JiraTransport;
  /** Base URL without a trailing slash, e.g. https://jira.example.com/jira */
  readonly siteUrl: string;
  readonly counters: JiraCounters;
  readonly statusCategories: StatusCategories;
}

/** One configured query being read in this run. */
export interface QueryRun {
  query: JiraQueryConfig;
  index: number;
  entry: string;
  jql: string;
  /** Lower bound of this run (overlap applied); attachments created before it were collected earlier. */
  since: Date | undefined;
  runStarted: string;
  customFields: ResolvedCustomField[];
  resume: JiraCursor | undefined;
  emitted: Set<string>;
  log: Logger;
}

export function observedAtRule(query: JiraQueryConfig): 'updated' | 'resolved' {
  return query.observedAt ?? (query.kind === 'risk' ? 'updated' : 'resolved');
}

/** The resume cursor of a step: its query, its page, its issue and, for an attachment, the attachment. */
export function stepCursor(run: QueryRun, position: PagePosition, key: string, attachmentId?: string): string {
  return encodeCursor({
    v: 1,
    run: run.runStarted,
    q: run.index,
    qn: run.query.name,
    pos: position,
    k: key,
    ...(attachmentId ? { att: attachmentId } : {}),
  });
}
