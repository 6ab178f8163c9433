import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Jira over a real socket (127.0.0.1, port 0), serving the REST API v2 endpoints the connector
 * reaches through jira-client, with bodies shaped after the official API description:
 *
 *   GET  /rest/api/2/field                          field list (system and custom)
 *   GET  /rest/api/2/status                         every status of the issues, with its category
 *   POST /rest/api/2/search                         Data Center search: startAt/maxResults/total/issues
 *   POST /rest/api/2/search/jql                     Jira Cloud enhanced search: nextPageToken/isLast
 *   GET  /rest/api/2/issue/{key}/changelog          Jira Cloud paged changelog
 *   GET  /rest/api/2/issue/{key}?expand=changelog   one issue with its whole changelog
 *   GET  /secure/attachment/{id}/{filename}         attachment content
 *
 * Like the real one it caps page sizes below what was asked, limits the changelog a search expands,
 * removes POST /search on Cloud (410), rejects unknown properties in an enhanced-search body, answers
 * a JQL naming an unknown project with 400, and checks the Authorization header on every request.
 * Faults (429, 5xx, truncated bodies, no answer at all) are injected per request.
 */

export interface StatusChangeSpec {
  at: string;
  from: string;
  to: string;
  by?: string;
}

export interface AttachmentSpec {
  id: string;
  filename: string;
  mimeType: string;
  created: string;
  content: Buffer;
  /** Size Jira declares; defaults to the content's length. */
  declaredSize?: number;
}

export interface IssueSpec {
  key: string;
  id?: string;
  summary?: string;
  type?: string;
  status?: string;
  statusCategory?: 'new' | 'indeterminate' | 'done';
  resolution?: string | null;
  priority?: string;
  assignee?: string | null;
  reporter?: string;
  created: string;
  updated: string;
  resolved?: string | null;
  labels?: string[];
  components?: string[];
  /** Raw custom field values by field id (`customfield_10042`). */
  custom?: Record<string, unknown>;
  statusChanges?: StatusChangeSpec[];
  /** Changelog entries that touch other fields (they must not show up as status changes). */
  otherChanges?: { at: string; field: string; from: string | null; to: string | null }[];
  attachments?: AttachmentSpec[];
}

export interface CustomFieldSpec {
  id: string;
  name: string;
  type?: string;
}

export type FakeAuth = { basic: { user: string; token: string } } | { bearer: string };

export interface FakeJiraOptions {
  deployment: 'cloud' | 'datacenter';
  auth: FakeAuth;
  projects: string[];
  issues?: IssueSpec[];
  customFields?: CustomFieldSpec[];
  /** Context path the site lives under (`/jira`); default none. */
  basePath?: string;
  /**
   * Most issues a search page returns, whatever maxResults asked; by default the real limits
   * (see searchPageCap): lower it in tests to force paging over a few issues.
   */
  serverMaxResults?: number;
  /** Most histories a search expands per issue; `total` still counts them all. Default 100. */
  changelogInSearch?: number;
  /** Milliseconds every answer is held back (simulated network latency, for benchmarks); default 0. */
  latencyMs?: number;
  /**
   * Where the server tells a status's category, as Data Center versions differ: `issue` (the issue's
   * `status` carries `statusCategory`, and so does GET /status; the default), `status-list` (only
   * GET /rest/api/2/status does), `none` (neither: a server from before status categories).
   */
  statusCategories?: 'issue' | 'status-list' | 'none';
}

export interface RecordedRequest {
  method: string;
  /** Path below the context path, e.g. /rest/api/2/search */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FaultResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

interface Fault {
  match: (r: RecordedRequest) => boolean;
  remaining: number;
  respond: FaultResponse | 'truncate' | 'hang';
}

const systemFields = [
  ['summary', 'Summary'],
  ['issuetype', 'Issue Type'],
  ['status', 'Status'],
  ['resolution', 'Resolution'],
  ['priority', 'Priority'],
  ['project', 'Project'],
  ['assignee', 'Assignee'],
  ['reporter', 'Reporter'],
  ['created', 'Created'],
  ['updated', 'Updated'],
  ['resolutiondate', 'Resolved'],
  ['labels', 'Labels'],
  ['components', 'Component/s'],
  ['attachment', 'Attachment'],
  ['description', 'Description'],
] as const;

const enhancedSearchKeys = new Set([
  'jql',
  'nextPageToken',
  'maxResults',
  'fields',
  'expand',
  'properties',
  'fieldsByKeys',
  'failFast',
  'reconcileIssues',
]);

export class FakeJira {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: Fault[] = [];
  private issues: IssueSpec[];
  private server!: http.Server;
  /** Base URL of the site, including the context path. */
  url = '';

  private constructor(readonly opts: FakeJiraOptions) {
    this.issues = [...(opts.issues ?? [])];
  }

  static async start(opts: FakeJiraOptions): Promise<FakeJira> {
    const fake = new FakeJira(opts);
    fake.server = http.createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as AddressInfo;
    fake.url = `http://127.0.0.1:${port}${opts.basePath ?? ''}`;
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds or replaces issues (by key). */
  putIssues(...issues: IssueSpec[]): void {
    for (const issue of issues) {
      const i = this.issues.findIndex((x) => x.key === issue.key);
      if (i >= 0) this.issues[i] = issue;
      else this.issues.push(issue);
    }
  }

  /** The next `times` requests matching `match` get `respond` instead of the real answer. */
  fail(match: (r: RecordedRequest) => boolean, respond: FaultResponse | 'truncate' | 'hang', times = 1): void {
    this.faults.push({ match, remaining: times, respond });
  }

  /** Search requests received, in order. */
  searches(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/rest/api/2/search' || r.path === '/rest/api/2/search/jql');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const base = this.opts.basePath ?? '';
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : `(outside base)${url.pathname}`;
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
    };
    this.requests.push(record);

    const fault = this.faults.find((f) => f.remaining > 0 && f.match(record));
    if (fault) fault.remaining--;
    if (this.opts.latencyMs) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
    if (fault?.respond === 'hang') return; // never answers; close() drops the connection
    if (fault && fault.respond !== 'truncate') {
      res.writeHead(fault.respond.status, {
        'content-type': 'application/json;charset=UTF-8',
        ...fault.respond.headers,
      });
      res.end(fault.respond.body ?? '');
      return;
    }
    const answer = this.route(record);
    let out =
      typeof answer.body === 'string' || Buffer.isBuffer(answer.body) ? answer.body : JSON.stringify(answer.body);
    if (fault) out = out.slice(0, Math.floor(out.length / 2)); // a body cut off mid-stream
    res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json;charset=UTF-8' });
    res.end(out);
  }

  private route(r: RecordedRequest): { status: number; body: unknown; contentType?: string } {
    if (!this.authorized(r.headers['authorization'])) {
      return {
        status: 401,
        body: {
          errorMessages: ['You are not authenticated. Authentication required to perform this operation.'],
          errors: {},
        },
      };
    }
    const cloud = this.opts.deployment === 'cloud';
    if (r.method === 'GET' && r.path === '/rest/api/2/field') return { status: 200, body: this.fieldList() };
    if (r.method === 'GET' && r.path === '/rest/api/2/status') return { status: 200, body: this.statusList() };
    if (r.method === 'POST' && r.path === '/rest/api/2/search') {
      if (cloud) {
        return {
          status: 410,
          body: {
            errorMessages: [
              'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
            ],
            errors: {},
          },
        };
      }
      return this.offsetSearch(r.body);
    }
    if (r.method === 'POST' && r.path === '/rest/api/2/search/jql' && cloud) return this.tokenSearch(r.body);
    let m = /^\/rest\/api\/2\/issue\/([^/]+)\/changelog$/.exec(r.path);
    if (m && r.method === 'GET' && cloud)
      return this.changelogPage(m[1]!, Number(r.query['startAt'] ?? 0), Number(r.query['maxResults'] ?? 100));
    m = /^\/rest\/api\/2\/issue\/([^/]+)$/.exec(r.path);
    if (m && r.method === 'GET') {
      const spec = this.issues.find((i) => i.key === m![1]);
      if (!spec) return notFound();
      return {
        status: 200,
        body: this.issueJson(
          spec,
          (r.query['fields'] ?? '*all').split(','),
          (r.query['expand'] ?? '').includes('changelog') ? Infinity : -1,
        ),
      };
    }
    m = /^\/secure\/attachment\/([^/]+)\/(.+)$/.exec(r.path);
    if (m && r.method === 'GET') {
      const att = this.issues
        .flatMap((i) => i.attachments ?? [])
        .find((a) => a.id === m![1] && encodeURI(a.filename) === m![2]);
      if (!att) return notFound();
      return { status: 200, body: att.content, contentType: att.mimeType };
    }
    return {
      status: 404,
      body: '<html><body>Oops, you&#39;ve found a dead link.</body></html>',
      contentType: 'text/html',
    };
  }

  private authorized(header: string | undefined): boolean {
    const a = this.opts.auth;
    if ('bearer' in a) return header === `Bearer ${a.bearer}`;
    return header === `Basic ${Buffer.from(`${a.basic.user}:${a.basic.token}`).toString('base64')}`;
  }

  /** A status as Jira describes it (`status` of an issue, an entry of GET /status); ids stable per name. */
  private statusJson(name: string, category: 'new' | 'indeterminate' | 'done', where: 'issue' | 'list'): unknown {
    const id = String(10_000 + (Number.parseInt(createHash('sha1').update(name).digest('hex').slice(0, 4), 16) % 9000));
    const mode = this.opts.statusCategories ?? 'issue';
    const told = mode === 'issue' || (mode === 'status-list' && where === 'list');
    const categories = {
      new: { n: 2, colorName: 'blue-gray', name: 'To Do' },
      indeterminate: { n: 4, colorName: 'yellow', name: 'In Progress' },
      done: { n: 3, colorName: 'green', name: 'Done' },
    };
    const c = categories[category];
    return {
      self: `${this.url}/rest/api/2/status/${id}`,
      description: '',
      iconUrl: `${this.url}/images/icons/statuses/generic.png`,
      name,
      id,
      ...(told
        ? {
            statusCategory: {
              self: `${this.url}/rest/api/2/statuscategory/${c.n}`,
              id: c.n,
              key: category,
              colorName: c.colorName,
              name: c.name,
            },
          }
        : {}),
    };
  }

  /** GET /rest/api/2/status: each status some issue is in, with the category that issue gives it. */
  private statusList(): unknown[] {
    const seen = new Map<string, 'new' | 'indeterminate' | 'done'>();
    for (const i of this.issues)
      if (!seen.has(i.status ?? 'Open')) seen.set(i.status ?? 'Open', i.statusCategory ?? 'new');
    return [...seen].map(([name, category]) => this.statusJson(name, category, 'list'));
  }

  private fieldList(): unknown[] {
    const sys = systemFields.map(([id, name]) => ({
      id,
      key: id,
      name,
      custom: false,
      orderable: true,
      navigable: true,
      searchable: true,
      clauseNames: [id],
      schema: { type: 'string', system: id },
    }));
    const custom = (this.opts.customFields ?? []).map((c) => ({
      id: c.id,
      key: c.id,
      name: c.name,
      untranslatedName: c.name,
      custom: true,
      orderable: true,
      navigable: true,
      searchable: true,
      clauseNames: [`cf[${c.id.replace('customfield_', '')}]`, c.name],
      schema: {
        type: c.type ?? 'string',
        custom: 'com.atlassian.jira.plugin.system.customfieldtypes:float',
        customId: Number(c.id.replace('customfield_', '')),
      },
    }));
    return [...sys, ...custom];
  }

  /** A tiny JQL: project = / in, issuetype =, updated >= "yyyy-MM-dd HH:mm" (read as UTC), AND. */
  private select(jql: unknown): { issues: IssueSpec[] } | { error: string } {
    if (typeof jql !== 'string' || jql.trim() === '') return { error: 'JQL query is required' };
    const where = jql.split(/\border\s+by\b/i)[0]!;
    const projects: string[] = [];
    for (const pm of where.matchAll(/\bproject\s*(?:=\s*"?([A-Za-z0-9_]+)"?|in\s*\(([^)]*)\))/gi)) {
      if (pm[1]) projects.push(pm[1]);
      else projects.push(...pm[2]!.split(',').map((s) => s.trim().replace(/^"|"$/g, '')));
    }
    for (const p of projects) {
      if (!this.opts.projects.includes(p)) return { error: `The value '${p}' does not exist for the field 'project'.` };
    }
    const types = [...where.matchAll(/\bissuetype\s*=\s*"([^"]+)"/gi)].map((t) => t[1]!);
    const since = /\bupdated\s*>=\s*"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})"/i.exec(where);
    const sinceMs = since ? Date.parse(`${since[1]}T${since[2]}:00Z`) : undefined;
    const issues = this.issues
      .filter((i) => projects.length === 0 || projects.includes(i.key.replace(/-\d+$/, '')))
      .filter((i) => types.length === 0 || types.includes(i.type ?? 'Task'))
      .filter((i) => sinceMs === undefined || Date.parse(i.updated) >= sinceMs)
      .sort((a, b) => (a.created === b.created ? keyOrder(a.key, b.key) : a.created < b.created ? -1 : 1));
    return { issues };
  }

  private offsetSearch(body: unknown): { status: number; body: unknown } {
    const b = (body ?? {}) as Record<string, unknown>;
    const sel = this.select(b['jql']);
    if ('error' in sel) return { status: 400, body: { errorMessages: [sel.error], errors: {} } };
    const startAt = typeof b['startAt'] === 'number' ? b['startAt'] : 0;
    const asked = typeof b['maxResults'] === 'number' ? b['maxResults'] : 50;
    const fields = Array.isArray(b['fields']) ? (b['fields'] as string[]) : ['*navigable'];
    const maxResults = Math.min(asked, this.opts.serverMaxResults ?? searchPageCap(this.opts.deployment, fields));
    const expand = Array.isArray(b['expand']) ? (b['expand'] as string[]) : [];
    const page = sel.issues.slice(startAt, startAt + maxResults);
    return {
      status: 200,
      body: {
        expand: 'names,schema',
        startAt,
        maxResults,
        total: sel.issues.length,
        issues: page.map((i) =>
          this.issueJson(i, fields, expand.includes('changelog') ? (this.opts.changelogInSearch ?? 100) : -1),
        ),
      },
    };
  }

  private tokenSearch(body: unknown): { status: number; body: unknown } {
    const b = (body ?? {}) as Record<string, unknown>;
    const unknownKeys = Object.keys(b).filter((k) => !enhancedSearchKeys.has(k));
    if (unknownKeys.length > 0 || (b['expand'] !== undefined && typeof b['expand'] !== 'string')) {
      return {
        status: 400,
        body: { errorMessages: ['Invalid request payload. Refer to the REST API documentation and try again.'] },
      };
    }
    const sel = this.select(b['jql']);
    if ('error' in sel) return { status: 400, body: { errorMessages: [sel.error], errors: {}, warningMessages: [] } };
    const jqlHash = createHash('sha256').update(String(b['jql'])).digest('hex').slice(0, 12);
    let offset = 0;
    if (typeof b['nextPageToken'] === 'string') {
      let decoded: { o?: unknown; h?: unknown } = {};
      try {
        decoded = JSON.parse(Buffer.from(b['nextPageToken'], 'base64url').toString('utf8')) as typeof decoded;
      } catch {
        // not one of ours
      }
      if (decoded.h !== jqlHash || typeof decoded.o !== 'number') {
        return { status: 400, body: { errorMessages: ['The provided next page token is invalid or expired.'] } };
      }
      offset = decoded.o;
    }
    const asked = typeof b['maxResults'] === 'number' ? b['maxResults'] : 50;
    const fields = Array.isArray(b['fields']) ? (b['fields'] as string[]) : ['id'];
    const maxResults = Math.min(asked, this.opts.serverMaxResults ?? searchPageCap(this.opts.deployment, fields));
    const expand = typeof b['expand'] === 'string' ? b['expand'].split(',').map((s) => s.trim()) : [];
    const page = sel.issues.slice(offset, offset + maxResults);
    const next = offset + page.length;
    const isLast = next >= sel.issues.length;
    return {
      status: 200,
      body: {
        issues: page.map((i) =>
          this.issueJson(i, fields, expand.includes('changelog') ? (this.opts.changelogInSearch ?? 100) : -1),
        ),
        // Like Jira Cloud, the last page carries no nextPageToken at all (JRACLOUD-92184).
        ...(isLast
          ? {}
          : { nextPageToken: Buffer.from(JSON.stringify({ o: next, h: jqlHash })).toString('base64url') }),
        isLast,
      },
    };
  }

  private changelogPage(key: string, startAt: number, maxResults: number): { status: number; body: unknown } {
    const spec = this.issues.find((i) => i.key === key);
    if (!spec) return notFound();
    const all = this.histories(spec);
    const values = all.slice(startAt, startAt + Math.min(maxResults, 100));
    return {
      status: 200,
      body: {
        self: `${this.url}/rest/api/2/issue/${key}/changelog?maxResults=${maxResults}&startAt=${startAt}`,
        maxResults,
        startAt,
        total: all.length,
        isLast: startAt + values.length >= all.length,
        values,
      },
    };
  }

  /** The issue as Jira renders it; `changelogLimit` -1: no changelog expanded. */
  private issueJson(s: IssueSpec, fields: string[], changelogLimit: number): unknown {
    const id = s.id ?? String(10000 + Number(s.key.replace(/^.*-/, '')));
    const project = s.key.replace(/-\d+$/, '');
    const all: Record<string, unknown> = {
      summary: s.summary ?? `Summary of ${s.key}`,
      description: 'Free text that the connector must not record.',
      issuetype: {
        self: `${this.url}/rest/api/2/issuetype/10001`,
        id: '10001',
        description: '',
        iconUrl: '',
        name: s.type ?? 'Task',
        subtask: false,
      },
      status: this.statusJson(s.status ?? 'Open', s.statusCategory ?? 'new', 'issue'),
      resolution: s.resolution
        ? { self: `${this.url}/rest/api/2/resolution/10000`, id: '10000', description: '', name: s.resolution }
        : null,
      priority: { self: `${this.url}/rest/api/2/priority/3`, iconUrl: '', name: s.priority ?? 'Medium', id: '3' },
      project: {
        self: `${this.url}/rest/api/2/project/10000`,
        id: '10000',
        key: project,
        name: `${project} project`,
        projectTypeKey: 'software',
      },
      assignee: s.assignee === null ? null : this.user(s.assignee ?? 'Ada Lovelace'),
      reporter: this.user(s.reporter ?? 'Grace Hopper'),
      created: jiraTime(s.created),
      updated: jiraTime(s.updated),
      resolutiondate: s.resolved ? jiraTime(s.resolved) : null,
      labels: s.labels ?? [],
      components: (s.components ?? []).map((name, i) => ({
        self: `${this.url}/rest/api/2/component/${10000 + i}`,
        id: String(10000 + i),
        name,
      })),
      attachment: (s.attachments ?? []).map((a) => ({
        self: `${this.url}/rest/api/2/attachment/${a.id}`,
        id: a.id,
        filename: a.filename,
        author: this.user('Grace Hopper'),
        created: jiraTime(a.created),
        size: a.declaredSize ?? a.content.length,
        mimeType: a.mimeType,
        content: `${this.url}/secure/attachment/${a.id}/${encodeURIComponent(a.filename)}`,
      })),
      ...s.custom,
    };
    const wanted = fields.includes('*all') || fields.includes('*navigable') ? Object.keys(all) : fields;
    const issue: Record<string, unknown> = {
      expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
      id,
      self: `${this.url}/rest/api/2/issue/${id}`,
      key: s.key,
      fields: Object.fromEntries(wanted.filter((f) => f in all).map((f) => [f, all[f]])),
    };
    if (changelogLimit >= 0) {
      const histories = this.histories(s);
      const shown = histories.slice(0, changelogLimit);
      issue['changelog'] = { startAt: 0, maxResults: shown.length, total: histories.length, histories: shown };
    }
    return issue;
  }

  private histories(s: IssueSpec): unknown[] {
    const entries = [
      ...(s.statusChanges ?? []).map((c) => ({
        at: c.at,
        by: c.by ?? 'Ada Lovelace',
        item: {
          field: 'status',
          fieldtype: 'jira',
          fieldId: 'status',
          from: '1',
          fromString: c.from,
          to: '3',
          toString: c.to,
        },
      })),
      ...(s.otherChanges ?? []).map((c) => ({
        at: c.at,
        by: 'Ada Lovelace',
        item: {
          field: c.field,
          fieldtype: 'jira',
          fieldId: c.field,
          from: null,
          fromString: c.from,
          to: null,
          toString: c.to,
        },
      })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    return entries.map((e, i) => ({
      id: String(20000 + i),
      author: this.user(e.by),
      created: jiraTime(e.at),
      items: [e.item],
    }));
  }

  private user(displayName: string): Record<string, unknown> {
    const handle = displayName.toLowerCase().replace(/\s+/g, '.');
    const common = {
      self: `${this.url}/rest/api/2/user?username=${handle}`,
      emailAddress: `${handle}@example.com`,
      avatarUrls: { '48x48': `${this.url}/secure/useravatar?avatarId=1` },
      displayName,
      active: true,
      timeZone: 'UTC',
    };
    return this.opts.deployment === 'cloud'
      ? { ...common, accountId: `557058:${handle}`, accountType: 'atlassian' }
      : { ...common, name: handle, key: `JIRAUSER-${handle}` };
  }
}

function notFound(): { status: number; body: unknown } {
  return {
    status: 404,
    body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} },
  };
}

/** Jira's rendering of an instant: milliseconds and an offset without a colon. */
export function jiraTime(iso: string): string {
  return new Date(iso).toISOString().replace('Z', '+0000');
}

function keyOrder(a: string, b: string): number {
  const [pa, na] = [a.replace(/-\d+$/, ''), Number(a.replace(/^.*-/, ''))];
  const [pb, nb] = [b.replace(/-\d+$/, ''), Number(b.replace(/^.*-/, ''))];
  return pa === pb ? na - nb : pa < pb ? -1 : 1;
}

/**
 * The page size a real server answers with when a search asks for more, so that the connector and the
 * benchmark page the way they would against production:
 * - Jira Cloud caps a search page at 100 issues when fields beyond `id`/`key` are requested; only a
 *   search for `id` and/or `key` alone gets large pages (up to 5,000 on the enhanced search
 *   POST /rest/api/{2,3}/search/jql, "It returns max 5000 issues"; 1,000 on the old GET /search).
 *   Atlassian: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
 *   (parameter maxResults of "Search for issues using JQL enhanced search"),
 *   https://developer.atlassian.com/cloud/jira/platform/change-notice-for-get-search-max-results/ and
 *   https://confluence.atlassian.com/jirakb/changing-maxresults-parameter-for-jira-rest-api-779160706.html
 *   ("the maxResults in the request is overridden if it is above the limit defined for given REST API
 *   endpoint"; clients must read the answered size and page on).
 * - Jira Data Center caps at the `jira.search.views.default.max` property, 1,000 by default.
 */
export function searchPageCap(deployment: 'cloud' | 'datacenter', fields: readonly string[]): number {
  if (deployment === 'datacenter') return 1000;
  const idOrKeyOnly = fields.length > 0 && fields.every((f) => f === 'id' || f === 'key');
  return idOrKeyOnly ? 5000 : 100;
}
