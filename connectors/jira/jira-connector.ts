import { maxJsonBytes } from '../http-limits';
import { Readable } from 'node:stream';
import JiraApi from 'jira-client';
import type { Logger } from 'pino';
import { canonicalJson, fingerprint } from '../../core/digest';
import type { SecretRef } from '../../core/secrets';
import type { ResolveSecret } from '../descriptor';
import { SourceConfigError, SourceResponseError } from '../../core/errors';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import type { JsonValue } from '../../core/json';
import {
  defaultClientDeps,
  JiraRestClient,
  type ClientDeps,
  type CredentialDescription,
  type RequestContext,
} from './client';
import type { JiraQueryConfig, JiraSourceConfig } from './config';
import { decodeCursor, encodeCursor, parseState, type JiraCursor, type JiraState, type PagePosition } from './cursor';
import { buildJql } from './jql';
import { byNumericId, normalizeIssue, type ResolvedCustomField } from './normalize';
import {
  changelogPageSchema,
  fieldListSchema,
  issueWithChangelogSchema,
  offsetSearchPageSchema,
  tokenSearchPageSchema,
  type JiraAttachment,
  type JiraHistory,
  type JiraIssue,
} from './schemas';
import { JiraTransport } from './transport';

export const jiraCollector = 'jira@1.0.0';

/** Fields asked for on every search; configured custom fields are added by id. */
const systemFields = [
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

type SearchPage =
  | { kind: 'offset'; startAt: number; total: number; issues: JiraIssue[] }
  | { kind: 'token'; issues: JiraIssue[]; nextPageToken: string | undefined; isLast: boolean };

export type JiraAuth = { scheme: 'basic'; email: string; apiToken: string } | { scheme: 'bearer'; token: string };

export interface JiraConnectorOptions {
  source: JiraSourceConfig;
  auth: JiraAuth;
  credential: CredentialDescription;
  deps?: Partial<ClientDeps>;
}

interface QueryRun {
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

/**
 * Issues from Jira Cloud or Data Center, read with configured JQL queries: one JSON artifact per issue
 * (the normalized record), and optionally one per attachment. Incremental: each query re-reads only
 * issues updated since the previous sealed run started, minus a safety overlap.
 */
export class JiraConnector implements Connector {
  readonly type = 'jira';
  private readonly source: JiraSourceConfig;
  private readonly client: JiraRestClient;
  private readonly transport: JiraTransport;
  private readonly internals: JiraClientInternals;
  private readonly deps: ClientDeps;
  /** Base URL without a trailing slash, e.g. https://jira.example.com/jira */
  readonly siteUrl: string;
  private completed: JiraState | undefined;
  private previousState: JsonValue | undefined;
  private readonly counters = {
    pages: 0,
    issues: 0,
    duplicateIssues: 0,
    changelogRequests: 0,
    attachmentsDownloaded: 0,
    attachmentsSkipped: 0,
    attachmentBytes: 0,
  };

  constructor(opts: JiraConnectorOptions) {
    this.source = opts.source;
    this.deps = { ...defaultClientDeps, ...opts.deps };
    const url = new URL(opts.source.url);
    const base = url.pathname.replace(/\/+$/, '');
    this.siteUrl = `${url.protocol}//${url.host}${base}`;
    this.transport = new JiraTransport({ maxJsonBytes, maxBinaryBytes: opts.source.attachments.maxBytes });
    const api = new JiraApi({
      protocol: url.protocol.replace(/:$/, ''),
      host: url.hostname,
      ...(url.port ? { port: url.port } : {}),
      base,
      apiVersion: '2',
      strictSSL: true,
      timeout: opts.source.timeoutMs,
      request: this.transport.request,
      ...(opts.auth.scheme === 'basic'
        ? { username: opts.auth.email, password: opts.auth.apiToken }
        : { bearer: opts.auth.token }),
    });
    this.internals = api as unknown as JiraClientInternals;
    this.client = new JiraRestClient(
      api,
      this.transport,
      { sourceId: opts.source.id, retry: opts.source.retry, credential: opts.credential },
      this.deps,
    );
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    const log = options.log;
    this.transport.signal = options.signal;
    this.client.log = log;
    this.previousState = options.previousState;
    const resume = this.resumePoint(options.resumeAfter, log);
    const runStarted = resume?.run ?? this.deps.now().toISOString();
    const previous = parseState(options.previousState);
    if (options.previousState !== undefined && options.previousState !== null && !previous) {
      log.warn({ source: this.source.id }, 'previous Jira state not understood; collecting every query in full');
    }
    const customFields = await this.resolveCustomFields();
    const next: JiraState = { v: 1, queries: {} };
    const emitted = new Set<string>();
    const overlapMs = this.source.overlapMinutes * 60_000;
    for (const [index, query] of this.source.queries.entries()) {
      const fingerprint = this.fingerprint(query, customFields);
      if (resume && index < resume.q) {
        next.queries[query.name] = { since: runStarted, fingerprint }; // finished by the interrupted attempt
        continue;
      }
      const prev = previous?.queries[query.name];
      const since = prev && prev.fingerprint === fingerprint ? new Date(Date.parse(prev.since) - overlapMs) : undefined;
      const jql = buildJql(query.jql, since, this.source.timeZone);
      log.info({ source: this.source.id, query: query.name, jql, incremental: since !== undefined }, 'searching Jira');
      yield* this.collectQuery({
        query,
        index,
        entry: `queries[${index}] "${query.name}"`,
        jql,
        since,
        runStarted,
        customFields,
        resume: resume?.q === index ? resume : undefined,
        emitted,
        log,
      });
      next.queries[query.name] = { since: runStarted, fingerprint };
    }
    this.completed = next;
  }

  /** After a complete run: per query, the run's start as the next lower bound. Otherwise what came in. */
  state(): JsonValue {
    if (this.completed) return this.completed as unknown as JsonValue;
    return this.previousState ?? null;
  }

  stats(): ConnectorStats {
    return { ...this.client.stats, ...this.counters };
  }

  private resumePoint(resumeAfter: string | undefined, log: Logger): JiraCursor | undefined {
    if (resumeAfter === undefined) return undefined;
    const cursor = decodeCursor(resumeAfter);
    const query = cursor ? this.source.queries[cursor.q] : undefined;
    const positionFits = cursor && 'token' in cursor.pos === (this.source.deployment === 'cloud');
    if (!cursor || !query || query.name !== cursor.qn || !positionFits) {
      log.warn(
        { source: this.source.id, resumeAfter },
        'resume cursor does not match the configured queries; collecting from the start',
      );
      return undefined;
    }
    return cursor;
  }

  private fingerprint(query: JiraQueryConfig, customFields: ResolvedCustomField[]): string {
    const shape = {
      jql: query.jql,
      kind: query.kind,
      observedAt: this.observedAtRule(query),
      customFields: customFields.map((c) => [c.alias, c.id]),
      attachments: this.source.attachments.download,
      collector: jiraCollector,
    };
    return fingerprint(shape, 32);
  }

  private observedAtRule(query: JiraQueryConfig): 'updated' | 'resolved' {
    return query.observedAt ?? (query.kind === 'risk' ? 'updated' : 'resolved');
  }

  /** GET /rest/api/2/field once per run: configured names to field ids. */
  private async resolveCustomFields(): Promise<ResolvedCustomField[]> {
    const sid = this.source.id;
    const fields = await this.client.json(
      {
        entry: 'url',
        permission: 'it must be a licensed Jira user allowed to use the REST API',
        notFound: (where) =>
          new SourceConfigError(
            `source "${sid}": ${where} answered 404 Not Found: check url "${this.source.url}"; it must be the site's base URL with any context path (e.g. https://jira.example.com/jira)`,
          ),
      },
      fieldListSchema,
      () => this.client.api.listFields(),
    );
    const out: ResolvedCustomField[] = [];
    for (const [alias, wanted] of Object.entries(this.source.customFields)) {
      const byId = fields.find((f) => f.id === wanted);
      const byName = fields.filter((f) => f.name === wanted);
      const byNameFolded = byName.length ? byName : fields.filter((f) => f.name.toLowerCase() === wanted.toLowerCase());
      if (byId) {
        out.push({ alias, id: byId.id, name: byId.name });
      } else if (byNameFolded.length === 1) {
        out.push({ alias, id: byNameFolded[0]!.id, name: byNameFolded[0]!.name });
      } else if (byNameFolded.length > 1) {
        throw new SourceConfigError(
          `source "${sid}": customFields.${alias}: "${wanted}" names ${byNameFolded.length} fields (${byNameFolded.map((f) => f.id).join(', ')}); write the field id instead`,
        );
      } else {
        const near = fields
          .filter((f) => f.custom !== false && f.name.toLowerCase().includes(wanted.toLowerCase().slice(0, 4)))
          .slice(0, 5);
        throw new SourceConfigError(
          `source "${sid}": customFields.${alias}: this Jira has no field named "${wanted}" (GET /rest/api/2/field)${near.length ? `; similar: ${near.map((f) => `"${f.name}" (${f.id})`).join(', ')}` : ''}`,
        );
      }
    }
    return out;
  }

  private async *collectQuery(run: QueryRun): AsyncGenerator<CollectionStep> {
    const cloud = this.source.deployment === 'cloud';
    let position: PagePosition = run.resume?.pos ?? (cloud ? { token: null } : { startAt: 0 });
    let resume = run.resume;
    const tokens = new Set<string>();
    const fields = [...systemFields, ...run.customFields.map((c) => c.id)];
    for (;;) {
      let page: SearchPage;
      try {
        page = await this.searchPage(run, position, fields);
      } catch (err) {
        // A resumed attempt may come back after Jira Cloud stopped accepting the page token it saved.
        if (!(resume && err instanceof SourceConfigError && 'token' in position && position.token !== null)) throw err;
        run.log.warn(
          { source: this.source.id, query: run.query.name, reason: err.message },
          'page token of the resume cursor refused; reading the query from its first page',
        );
        position = { token: null };
        resume = undefined;
        continue;
      }
      this.counters.pages++;
      let from = 0;
      if (resume) {
        const at = page.issues.findIndex((i) => i.key === resume!.k);
        if (at === -1) {
          run.log.warn(
            { source: this.source.id, query: run.query.name, key: resume.k },
            'issue of the resume cursor moved off its page; reading the whole page again',
          );
        } else {
          const issue = page.issues[at]!;
          run.emitted.add(`${run.query.kind}/${issue.key}`);
          // The issue itself was stored; its attachments after the cursor's one were not.
          yield* this.attachmentSteps(run, position, issue, resume.att);
          from = at + 1;
        }
        resume = undefined;
      }
      for (let i = from; i < page.issues.length; i++) {
        yield* this.issueSteps(run, position, page.issues[i]!);
      }
      if (page.kind === 'offset') {
        const requested = 'startAt' in position ? position.startAt : 0;
        const nextStart = requested + page.issues.length; // the server may return fewer than maxResults
        if (page.issues.length === 0 && requested < page.total) {
          run.log.warn(
            { source: this.source.id, query: run.query.name, startAt: requested, total: page.total },
            'Jira returned an empty page before the total; ending the query',
          );
        }
        if (page.issues.length === 0 || nextStart >= page.total) break;
        position = { startAt: nextStart };
      } else {
        if (page.isLast || !page.nextPageToken || page.issues.length === 0) break;
        if (tokens.has(page.nextPageToken)) {
          throw new SourceResponseError(
            `source "${this.source.id}": POST /rest/api/2/search/jql (${run.entry}) returned a page token it returned before; stopping instead of looping`,
          );
        }
        tokens.add(page.nextPageToken);
        position = { token: page.nextPageToken };
      }
    }
  }

  private async searchPage(run: QueryRun, position: PagePosition, fields: string[]): Promise<SearchPage> {
    const sid = this.source.id;
    const ctx: RequestContext = {
      entry: run.entry,
      detail: 'startAt' in position ? `startAt ${position.startAt}` : position.token ? 'next page' : 'first page',
      permission: `"Browse projects" on every project the JQL of ${run.entry} reads`,
      badRequest: (where, says) =>
        new SourceConfigError(
          `source "${sid}": Jira rejected the JQL of ${run.entry} (${where}): ${says || 'HTTP 400'}. The JQL sent was: ${run.jql}`,
        ),
      notFound: (where, says) =>
        new SourceConfigError(
          `source "${sid}": ${where} answered 404 Not Found${says ? ` (${says})` : ''}: check url "${this.source.url}" and deployment "${this.source.deployment}"`,
        ),
    };
    const maxResults = this.source.pageSize;
    if ('startAt' in position) {
      const page = await this.client.json(ctx, offsetSearchPageSchema, () =>
        this.client.api.searchJira(run.jql, { startAt: position.startAt, maxResults, fields, expand: ['changelog'] }),
      );
      return { kind: 'offset', startAt: page.startAt, total: page.total, issues: page.issues };
    }
    // jira-client 8.2.2 predates the enhanced search that replaced POST /search on Jira Cloud; the request
    // is built from the same parts as its own methods. `expand` is a comma-separated string here.
    const body: Record<string, unknown> = { jql: run.jql, maxResults, fields, expand: 'changelog' };
    if (position.token) body['nextPageToken'] = position.token;
    const page = await this.client.json(ctx, tokenSearchPageSchema, () =>
      this.internals.doRequest(
        this.internals.makeRequestHeader(this.internals.makeUri({ pathname: '/search/jql' }), {
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

  private async *issueSteps(run: QueryRun, position: PagePosition, issue: JiraIssue): AsyncGenerator<CollectionStep> {
    const id = `${run.query.kind}/${issue.key}`;
    if (run.emitted.has(id)) {
      this.counters.duplicateIssues++;
      return;
    }
    run.emitted.add(id);
    const histories = await this.fullChangelog(run, issue);
    const normalized = normalizeIssue(issue, histories, {
      kind: run.query.kind,
      query: run.query.name,
      observedAtRule: this.observedAtRule(run.query),
      customFields: run.customFields,
      siteUrl: this.siteUrl,
    });
    const bytes = Buffer.from(canonicalJson(normalized.record));
    this.counters.issues++;
    yield {
      cursor: this.cursor(run, position, issue.key),
      artifact: {
        meta: {
          externalId: id,
          kind: run.query.kind,
          observedAt: normalized.observedAt,
          mediaType: 'application/json',
          attributes: normalized.attributes,
          provenance: {
            endpoint: `${this.siteUrl}/rest/api/2/issue/${issue.key}`,
            apiVersion: '2',
            collector: jiraCollector,
          },
        },
        open: () => Readable.from([bytes]),
      },
    };
    yield* this.attachmentSteps(run, position, issue, undefined);
  }

  private cursor(run: QueryRun, position: PagePosition, key: string, attachmentId?: string): string {
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

  /**
   * The whole changelog. A search expands at most a page of histories per issue (100 on Jira Cloud); when
   * `total` says there are more, the rest is read from the issue (paged on Cloud, at once on Data Center).
   */
  private async fullChangelog(run: QueryRun, issue: JiraIssue): Promise<JiraHistory[]> {
    const cl = issue.changelog;
    const have = cl?.histories ?? [];
    if (cl && (cl.startAt ?? 0) === 0 && have.length >= (cl.total ?? have.length)) return have;
    const ctx: RequestContext = {
      entry: run.entry,
      detail: `changelog of ${issue.key}`,
      permission: `"Browse projects" on project of ${issue.key}`,
    };
    if (this.source.deployment === 'datacenter') {
      this.counters.changelogRequests++;
      const outcome = await this.client.call(ctx, () => this.client.api.findIssue(issue.key, 'changelog', 'created'));
      if (outcome.kind === 'too-large' || outcome.status === 404) return this.keepPartialChangelog(run, issue, have);
      return this.client.parse(outcome, ctx, issueWithChangelogSchema).changelog.histories;
    }
    const all: JiraHistory[] = [];
    for (let startAt = 0; ;) {
      this.counters.changelogRequests++;
      const outcome = await this.client.call({ ...ctx, detail: `changelog of ${issue.key}, startAt ${startAt}` }, () =>
        this.client.api.getIssueChangelog(issue.key, startAt, 100),
      );
      if (outcome.kind === 'too-large' || outcome.status === 404) return this.keepPartialChangelog(run, issue, have);
      const page = this.client.parse(outcome, ctx, changelogPageSchema);
      all.push(...page.values);
      startAt += page.values.length;
      if (page.isLast === true || page.values.length === 0 || startAt >= page.total) break;
    }
    return all;
  }

  private keepPartialChangelog(run: QueryRun, issue: JiraIssue, have: JiraHistory[]): JiraHistory[] {
    run.log.warn(
      { source: this.source.id, key: issue.key },
      'full changelog not readable (issue deleted or too large); recording the part the search returned',
    );
    return have;
  }

  /** Attachments created since the query's lower bound (earlier ones were collected by earlier runs). */
  private async *attachmentSteps(
    run: QueryRun,
    position: PagePosition,
    issue: JiraIssue,
    after: string | undefined,
  ): AsyncGenerator<CollectionStep> {
    if (!this.source.attachments.download) return;
    const maxBytes = this.source.attachments.maxBytes;
    const list = [...(issue.fields.attachment ?? [])].sort(byNumericId);
    for (const att of list) {
      if (after !== undefined && byNumericId(att, { id: after }) <= 0) continue;
      if (run.since && Date.parse(att.created) < run.since.getTime()) continue;
      this.transport.signal?.throwIfAborted();
      if (att.size > maxBytes) {
        this.skipAttachment(run, issue, att, `${att.size} bytes, more than attachments.maxBytes (${maxBytes})`);
        continue;
      }
      const bytes = await this.download(run, issue, att);
      if (!bytes) continue;
      this.counters.attachmentsDownloaded++;
      this.counters.attachmentBytes += bytes.body.length;
      yield {
        cursor: this.cursor(run, position, issue.key, att.id),
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

  private async download(
    run: QueryRun,
    issue: JiraIssue,
    att: JiraAttachment,
  ): Promise<{ body: Buffer; url: string } | undefined> {
    const ctx: RequestContext = {
      entry: run.entry,
      detail: `attachment ${att.id} of ${issue.key}`,
      permission: `"Browse projects" on the project of ${issue.key} (attachments are readable with it)`,
    };
    const outcome = await this.client.call(ctx, () =>
      this.client.api.downloadAttachment({ id: att.id, filename: att.filename }),
    );
    if (outcome.kind === 'too-large') {
      this.skipAttachment(
        run,
        issue,
        att,
        `download exceeded attachments.maxBytes (${outcome.limit}) although Jira declared ${att.size} bytes`,
      );
      return undefined;
    }
    if (outcome.status === 404) {
      this.skipAttachment(run, issue, att, 'deleted since the search (404)');
      return undefined;
    }
    return { body: outcome.body, url: outcome.url };
  }

  private skipAttachment(run: QueryRun, issue: JiraIssue, att: JiraAttachment, reason: string): void {
    this.counters.attachmentsSkipped++;
    run.log.warn(
      { source: this.source.id, key: issue.key, attachment: att.id, filename: att.filename, reason },
      'attachment not downloaded',
    );
  }
}

/** Describes a secret reference for messages, never its value. */
function describeSecret(ref: SecretRef): string {
  return 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
}

/**
 * Builds the connector for a parsed `type: jira` source. Secrets are read here, when the connector is
 * made for a run, so a rotated token is picked up without restarting the worker.
 */
export async function createJiraConnector(
  source: JiraSourceConfig,
  resolveSecret: ResolveSecret,
  deps?: Partial<ClientDeps>,
): Promise<JiraConnector> {
  const auth = source.auth;
  if ('email' in auth) {
    const apiToken = await resolveSecret(auth.apiToken, 'auth.apiToken');
    return new JiraConnector({
      source,
      auth: { scheme: 'basic', email: auth.email, apiToken },
      credential: {
        deployment: source.deployment,
        token: `the API token of ${auth.email} (auth.apiToken, from ${describeSecret(auth.apiToken)})`,
        account: auth.email,
      },
      ...(deps ? { deps } : {}),
    });
  }
  const token = await resolveSecret(auth.personalAccessToken, 'auth.personalAccessToken');
  return new JiraConnector({
    source,
    auth: { scheme: 'bearer', token },
    credential: {
      deployment: source.deployment,
      token: `the personal access token (auth.personalAccessToken, from ${describeSecret(auth.personalAccessToken)})`,
      account: "the token's user",
    },
    ...(deps ? { deps } : {}),
  });
}
