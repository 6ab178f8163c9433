import { readFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConnectorError, CredentialsError, SourceConfigError, SourceResponseError } from '../../core/errors';
import { parseRetryAfter } from '../../connectors/jira/client';
import { jiraSourceSchema, type JiraSourceConfig, type JiraSourceInput } from '../../connectors/jira/config';
import { createJiraConnector, type JiraConnector } from '../../connectors/jira/jira-connector';
import { buildJql, formatJqlDate, splitOrderBy } from '../../connectors/jira/jql';
import { jiraKinds } from '../../connectors/jira/kinds';
import { parseJiraDateTime } from '../../connectors/jira/schemas';
import type { CollectionStep } from '../../connectors/types';
import type { JsonValue } from '../../core/json';
import { mappingFileSchema } from '../../mappings/schema';
import { compileSelector } from '../../mappings/select';
import { resolveSecret } from '../../core/secrets';
import { createLogger } from '../../worker/logger';
import { FakeJira, type FakeJiraOptions, type IssueSpec } from '../fakes/jira-server';
import { loadCatalog, loadClauseCatalog } from '../../mappings/catalog';

const log = createLogger({ level: 'silent' });
const root = path.join(__dirname, '..', '..');

const fakes: FakeJira[] = [];
afterEach(async () => {
  while (fakes.length) await fakes.pop()!.close();
  vi.unstubAllEnvs();
});

const cloudAuth = { basic: { user: 'bot@example.com', token: 'cloud-token-1' } };
const dcAuth = { bearer: 'pat-123' };

async function startJira(opts: Partial<FakeJiraOptions> & Pick<FakeJiraOptions, 'deployment'>): Promise<FakeJira> {
  const fake = await FakeJira.start({
    auth: opts.deployment === 'cloud' ? cloudAuth : dcAuth,
    projects: ['RISK', 'INC', 'AIA'],
    ...opts,
  });
  fakes.push(fake);
  return fake;
}

function sourceFor(fake: FakeJira, over: Partial<JiraSourceInput> = {}): JiraSourceConfig {
  const cloud = fake.opts.deployment === 'cloud';
  return jiraSourceSchema.parse({
    id: 'jira',
    type: 'jira',
    url: fake.url,
    deployment: fake.opts.deployment,
    auth: cloud
      ? { email: 'bot@example.com', apiToken: { env: 'JIRA_API_TOKEN' } }
      : { personalAccessToken: { env: 'JIRA_PAT' } },
    queries: [{ name: 'risks', kind: 'risk', jql: 'project = RISK' }],
    timeZone: 'UTC',
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 20 },
    ...over,
  });
}

interface Harness {
  connector: JiraConnector;
  sleeps: number[];
  clock: { now: Date };
}

async function connect(source: JiraSourceConfig, opts: { now?: string; realSleep?: boolean } = {}): Promise<Harness> {
  vi.stubEnv('JIRA_API_TOKEN', 'cloud-token-1');
  vi.stubEnv('JIRA_PAT', 'pat-123');
  const sleeps: number[] = [];
  const clock = { now: new Date(opts.now ?? '2026-03-10T12:00:00Z') };
  const connector = await createJiraConnector(source, (ref, what) => resolveSecret(ref, os.tmpdir(), what), {
    now: () => clock.now,
    random: () => 0.5,
    ...(opts.realSleep ? {} : { sleep: async (ms: number) => void sleeps.push(ms) }),
  });
  return { connector, sleeps, clock };
}

async function collect(
  connector: JiraConnector,
  opts: { previousState?: JsonValue; resumeAfter?: string; stopAfter?: number } = {},
): Promise<CollectionStep[]> {
  const out: CollectionStep[] = [];
  for await (const step of connector.collect({
    log,
    ...(opts.previousState !== undefined ? { previousState: opts.previousState } : {}),
    ...(opts.resumeAfter !== undefined ? { resumeAfter: opts.resumeAfter } : {}),
  })) {
    out.push(step);
    if (opts.stopAfter !== undefined && out.length >= opts.stopAfter) break;
  }
  return out;
}

async function bytesOf(step: CollectionStep): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of step.artifact.open()) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

async function recordOf(step: CollectionStep): Promise<Record<string, unknown>> {
  return JSON.parse((await bytesOf(step)).toString('utf8')) as Record<string, unknown>;
}

const keys = (steps: CollectionStep[]) => steps.map((s) => s.artifact.meta.externalId);

function hoursAfter(start: string, h: number): string {
  return new Date(Date.parse(start) + h * 3_600_000).toISOString();
}

function risks(n: number, over: (i: number) => Partial<IssueSpec> = () => ({})): IssueSpec[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return {
      key: `RISK-${i}`,
      type: 'Risk',
      created: hoursAfter('2026-01-01T00:00:00Z', i),
      updated: hoursAfter('2026-02-01T00:00:00Z', i),
      ...over(i),
    };
  });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(TypeError);
  return err as Error;
}

describe('jira connector: search and pagination', () => {
  it('Cloud: reads every page through the enhanced search, with basic auth, when the server returns fewer issues than asked', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(23), serverMaxResults: 4 });
    const { connector } = await connect(sourceFor(fake, { pageSize: 10 }));
    const steps = await collect(connector);

    expect(keys(steps)).toEqual(Array.from({ length: 23 }, (_, i) => `risk/RISK-${i + 1}`));
    const searches = fake.searches();
    expect(searches).toHaveLength(6); // ceil(23 / 4): the server's cap, not the 10 asked for
    expect(searches.every((s) => s.method === 'POST' && s.path === '/rest/api/2/search/jql')).toBe(true);
    const bodies = searches.map((s) => s.body as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({
      jql: '(project = RISK) ORDER BY created ASC, key ASC',
      maxResults: 10,
      expand: 'changelog',
    });
    expect(bodies[0]!['nextPageToken']).toBeUndefined();
    expect(bodies.slice(1).every((b) => typeof b['nextPageToken'] === 'string')).toBe(true);
    expect(bodies.every((b) => !('startAt' in b))).toBe(true);
    expect(bodies[0]!['fields']).toEqual(
      expect.arrayContaining(['status', 'resolution', 'resolutiondate', 'labels', 'components', 'attachment']),
    );

    const basic = `Basic ${Buffer.from('bot@example.com:cloud-token-1').toString('base64')}`;
    expect(fake.requests.every((r) => r.headers['authorization'] === basic)).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/rest/api/2/field')).toHaveLength(1);
    expect(connector.stats()).toMatchObject({ requests: 7, pages: 6, issues: 23, retries: 0 });
  });

  it("Cloud: a search that requests fields is capped at Jira Cloud's 100 a page, and the connector pages on", async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(250) }); // the fake's real default limits
    const { connector } = await connect(sourceFor(fake, { pageSize: 1000 }));
    const steps = await collect(connector);

    expect(keys(steps)).toEqual(Array.from({ length: 250 }, (_, i) => `risk/RISK-${i + 1}`));
    const bodies = fake.searches().map((s) => s.body as Record<string, unknown>);
    expect(bodies.map((b) => b['maxResults'])).toEqual([1000, 1000, 1000]); // asked 1,000, got 100, 100, 50
    expect(connector.stats()).toMatchObject({ pages: 3, issues: 250 });
  });

  it('Data Center: pages with startAt by what the server returned, bearer token, context path', async () => {
    const fake = await startJira({
      deployment: 'datacenter',
      basePath: '/jira',
      issues: risks(8),
      serverMaxResults: 3,
    });
    const { connector } = await connect(sourceFor(fake, { pageSize: 5 }));
    const steps = await collect(connector);

    expect(keys(steps)).toEqual(Array.from({ length: 8 }, (_, i) => `risk/RISK-${i + 1}`));
    const searches = fake.searches();
    expect(searches.map((s) => s.path)).toEqual(['/rest/api/2/search', '/rest/api/2/search', '/rest/api/2/search']);
    expect(searches.map((s) => (s.body as { startAt: number }).startAt)).toEqual([0, 3, 6]);
    expect(searches[0]!.body).toMatchObject({ maxResults: 5, expand: ['changelog'] });
    expect(fake.requests.every((r) => r.headers['authorization'] === 'Bearer pat-123')).toBe(true);
    expect(steps[0]!.artifact.meta.provenance).toEqual({
      endpoint: `${fake.url}/rest/api/2/issue/RISK-1`,
      apiVersion: '2',
      collector: 'jira@1.0.0',
    });
  });

  it('runs each configured query in order, one kind per query, and records an issue matched twice by one kind once', async () => {
    const fake = await startJira({
      deployment: 'cloud',
      issues: [
        ...risks(2),
        { key: 'INC-1', type: 'Incident', created: '2026-01-02T00:00:00Z', updated: '2026-02-02T00:00:00Z' },
        { key: 'AIA-1', type: 'Assessment', created: '2026-01-03T00:00:00Z', updated: '2026-02-03T00:00:00Z' },
      ],
    });
    const { connector } = await connect(
      sourceFor(fake, {
        queries: [
          { name: 'risks', kind: 'risk', jql: 'project = RISK ORDER BY priority DESC' },
          { name: 'incidents', kind: 'incident', jql: 'project in (INC, RISK) AND issuetype = "Incident"' },
          { name: 'assessments', kind: 'impact-assessment', jql: 'project = AIA' },
          { name: 'more-risks', kind: 'risk', jql: 'project = RISK' },
        ],
      }),
    );
    const steps = await collect(connector);
    expect(keys(steps)).toEqual(['risk/RISK-1', 'risk/RISK-2', 'incident/INC-1', 'impact-assessment/AIA-1']);
    expect(steps.map((s) => s.artifact.meta.kind)).toEqual(['risk', 'risk', 'incident', 'impact-assessment']);
    expect((fake.searches()[0]!.body as { jql: string }).jql).toBe('(project = RISK) ORDER BY created ASC, key ASC');
    expect(connector.stats()['duplicateIssues']).toBe(2);
  });
});

describe('jira connector: the normalized record', () => {
  const customFields = [
    { id: 'customfield_10042', name: 'Risk Score', type: 'number' },
    { id: 'customfield_10043', name: 'AI System', type: 'option' },
    { id: 'customfield_10044', name: 'Reviewers', type: 'array' },
  ];
  const incident: IssueSpec = {
    key: 'INC-7',
    type: 'Incident',
    summary: 'Chatbot gave medical advice',
    status: 'Closed',
    statusCategory: 'done',
    resolution: 'Done',
    priority: 'High',
    assignee: 'Ada Lovelace',
    reporter: 'Grace Hopper',
    created: '2026-02-01T08:00:00Z',
    updated: '2026-03-05T10:00:00Z',
    resolved: '2026-02-20T16:30:00Z',
    labels: ['ai-incident', 'customer-facing'],
    components: ['Chatbot'],
    custom: {
      customfield_10042: 15,
      customfield_10043: { self: 'http://x/rest/api/2/customFieldOption/1', value: 'Support chatbot', id: '1' },
      customfield_10044: [{ self: 'http://x/user', displayName: 'Alan Turing', accountId: 'a1' }],
    },
    statusChanges: [
      { at: '2026-02-02T09:00:00Z', from: 'Open', to: 'Investigating', by: 'Ada Lovelace' },
      { at: '2026-02-10T09:00:00Z', from: 'Investigating', to: 'Communicated' },
      { at: '2026-02-20T16:30:00Z', from: 'Communicated', to: 'Closed' },
    ],
    otherChanges: [{ at: '2026-02-03T00:00:00Z', field: 'assignee', from: 'Grace Hopper', to: 'Ada Lovelace' }],
    attachments: [
      {
        id: '30001',
        filename: 'post-mortem.pdf',
        mimeType: 'application/pdf',
        created: '2026-02-19T00:00:00Z',
        content: Buffer.from('%PDF-1.7 ...'),
      },
    ],
  };

  it('maps custom fields by name, the status history from the changelog (paged when the search cut it), and attachment metadata', async () => {
    const fake = await startJira({ deployment: 'cloud', customFields, issues: [incident], changelogInSearch: 2 });
    const { connector } = await connect(
      sourceFor(fake, {
        queries: [{ name: 'incidents', kind: 'incident', jql: 'project = INC' }],
        customFields: { riskScore: 'Risk Score', aiSystem: 'ai system', reviewers: 'customfield_10044' },
      }),
    );
    const [step] = await collect(connector);
    const meta = step!.artifact.meta;

    expect((fake.searches()[0]!.body as { fields: string[] }).fields).toEqual(
      expect.arrayContaining(['customfield_10042', 'customfield_10043', 'customfield_10044']),
    );
    // The search expanded 2 of 4 histories; the rest came from the issue's changelog endpoint.
    expect(fake.requests.filter((r) => r.path === '/rest/api/2/issue/INC-7/changelog')).toHaveLength(1);
    expect(meta).toMatchObject({
      externalId: 'incident/INC-7',
      kind: 'incident',
      mediaType: 'application/json',
      observedAt: '2026-02-20T16:30:00.000Z',
    });
    expect(meta.attributes).toMatchObject({
      key: 'INC-7',
      project: 'INC',
      issueType: 'Incident',
      status: 'Closed',
      statusCategory: 'done',
      resolution: 'Done',
      isResolved: true,
      assignee: 'Ada Lovelace',
      reporter: 'Grace Hopper',
      created: '2026-02-01T08:00:00.000Z',
      updated: '2026-03-05T10:00:00.000Z',
      resolved: '2026-02-20T16:30:00.000Z',
      labels: ['ai-incident', 'customer-facing'],
      components: ['Chatbot'],
      customFields: { riskScore: 15, aiSystem: 'Support chatbot', reviewers: ['Alan Turing'] },
      statusesVisited: ['Open', 'Investigating', 'Communicated', 'Closed'],
      lastStatusChange: '2026-02-20T16:30:00.000Z',
      attachmentCount: 1,
      observedAtFrom: 'resolved',
    });

    const bytes = await bytesOf(step!);
    const record = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual([...Object.keys(record)].sort()); // canonical: sorted keys
    expect(bytes.toString('utf8').endsWith('}\n')).toBe(true);
    expect(record).toMatchObject({
      key: 'INC-7',
      id: '10007',
      summary: 'Chatbot gave medical advice',
      url: `${fake.url}/browse/INC-7`,
      customFields: {
        riskScore: { field: 'Risk Score', id: 'customfield_10042', value: 15 },
        aiSystem: { field: 'AI System', id: 'customfield_10043', value: 'Support chatbot' },
      },
      statusHistory: [
        { at: '2026-02-02T09:00:00.000Z', from: 'Open', to: 'Investigating', by: 'Ada Lovelace' },
        { at: '2026-02-10T09:00:00.000Z', from: 'Investigating', to: 'Communicated', by: 'Ada Lovelace' },
        { at: '2026-02-20T16:30:00.000Z', from: 'Communicated', to: 'Closed', by: 'Ada Lovelace' },
      ],
      attachments: [
        {
          id: '30001',
          filename: 'post-mortem.pdf',
          size: 12,
          mimeType: 'application/pdf',
          created: '2026-02-19T00:00:00.000Z',
          author: 'Grace Hopper',
        },
      ],
    });
    // No free text, no email addresses, no links back into the API.
    expect(bytes.toString('utf8')).not.toMatch(/Free text|@example\.com|avatar|"self"/);
  });

  it('observes a risk at its last update, and an open incident at its update until it is resolved', async () => {
    const fake = await startJira({
      deployment: 'cloud',
      issues: [
        {
          key: 'RISK-1',
          type: 'Risk',
          created: '2026-01-01T00:00:00Z',
          updated: '2026-03-01T00:00:00Z',
          resolved: '2026-02-01T00:00:00Z',
          resolution: 'Done',
        },
        { key: 'INC-1', type: 'Incident', created: '2026-01-01T00:00:00Z', updated: '2026-03-02T00:00:00Z' },
      ],
    });
    const { connector } = await connect(
      sourceFor(fake, {
        queries: [
          { name: 'risks', kind: 'risk', jql: 'project = RISK' },
          { name: 'incidents', kind: 'incident', jql: 'project = INC' },
        ],
      }),
    );
    const steps = await collect(connector);
    expect(
      steps.map((s) => [
        s.artifact.meta.externalId,
        s.artifact.meta.observedAt,
        s.artifact.meta.attributes['observedAtFrom'],
      ]),
    ).toEqual([
      ['risk/RISK-1', '2026-03-01T00:00:00.000Z', 'updated'],
      ['incident/INC-1', '2026-03-02T00:00:00.000Z', 'updated'],
    ]);
  });

  it('Data Center: reads a changelog the search cut short from the issue itself', async () => {
    const fake = await startJira({
      deployment: 'datacenter',
      issues: [{ ...incident, attachments: [] }],
      customFields,
      changelogInSearch: 1,
    });
    const { connector } = await connect(
      sourceFor(fake, { queries: [{ name: 'incidents', kind: 'incident', jql: 'project = INC' }] }),
    );
    const [step] = await collect(connector);
    const full = fake.requests.find((r) => r.path === '/rest/api/2/issue/INC-7');
    expect(full?.query['expand']).toBe('changelog');
    expect(((await recordOf(step!))['statusHistory'] as unknown[]).length).toBe(3);
    expect(step!.artifact.meta.attributes['assignee']).toBe('Ada Lovelace');
  });
});

describe('jira connector: statusCategory on Data Center', () => {
  const statuses = (i: number): Partial<IssueSpec> =>
    i === 1
      ? { status: 'Open', statusCategory: 'new' }
      : i === 2
        ? { status: 'In Review', statusCategory: 'indeterminate' }
        : { status: 'Closed', statusCategory: 'done' };

  it('derives it from GET /rest/api/2/status (read once) when the issues do not carry it', async () => {
    const fake = await startJira({
      deployment: 'datacenter',
      issues: risks(4, statuses),
      statusCategories: 'status-list',
    });
    const { connector } = await connect(sourceFor(fake));
    const steps = await collect(connector);
    expect(
      steps.map((s) => [s.artifact.meta.attributes['status'], s.artifact.meta.attributes['statusCategory']]),
    ).toEqual([
      ['Open', 'new'],
      ['In Review', 'indeterminate'],
      ['Closed', 'done'],
      ['Closed', 'done'],
    ]);
    expect(steps.every((s) => s.artifact.meta.attributes['statusCategoryFrom'] === 'status-list')).toBe(true);
    expect((await recordOf(steps[2]!))['statusCategory']).toBe('done');
    expect(fake.requests.filter((r) => r.path === '/rest/api/2/status')).toHaveLength(1);
    expect(connector.problems()).toEqual([]);
  });

  it('reports it as unsupported in the source problems when the server does not tell, instead of never matching silently', async () => {
    const fake = await startJira({ deployment: 'datacenter', issues: risks(3, statuses), statusCategories: 'none' });
    const { connector } = await connect(sourceFor(fake));
    const steps = await collect(connector);
    expect(steps).toHaveLength(3);
    for (const s of steps) {
      expect(s.artifact.meta.attributes['statusCategory']).toBeNull();
      expect(s.artifact.meta.attributes['statusCategoryFrom']).toBe('unsupported');
    }
    const problems = connector.problems();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      'statusCategory is unsupported by this Jira for 3 status(es) ("Closed", "In Review", "Open")',
    );
    expect(problems[0]).toContain('select on status instead');

    // A status list the account may not read leaves the category open too, and says why.
    const refused = await startJira({ deployment: 'datacenter', issues: risks(1, statuses), statusCategories: 'none' });
    refused.fail((r) => r.path === '/rest/api/2/status', {
      status: 403,
      body: JSON.stringify({ errorMessages: ['No.'] }),
    });
    const second = await connect(sourceFor(refused));
    expect(await collect(second.connector)).toHaveLength(1);
    expect(second.connector.problems()[0]).toContain('GET /rest/api/2/status could not tell');
  });

  it('takes it from the issue where the issue carries it, without reading the status list', async () => {
    const fake = await startJira({ deployment: 'datacenter', issues: risks(2, statuses) });
    const { connector } = await connect(sourceFor(fake));
    const steps = await collect(connector);
    expect(steps.map((s) => s.artifact.meta.attributes['statusCategoryFrom'])).toEqual(['issue', 'issue']);
    expect(fake.requests.some((r) => r.path === '/rest/api/2/status')).toBe(false);
    expect(connector.problems()).toEqual([]);
  });
});

describe('jira connector: incremental runs', () => {
  it('asks only for issues updated since the last run started, minus the overlap, and keeps the cursor in state()', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(4) });
    const source = sourceFor(fake, { overlapMinutes: 5 });
    const first = await connect(source, { now: '2026-03-10T12:00:00Z' });
    expect(await collect(first.connector)).toHaveLength(4);
    const state = first.connector.state();
    expect(state).toMatchObject({ v: 1, queries: { risks: { since: '2026-03-10T12:00:00.000Z' } } });

    // Edited after the first run started, and inside the overlap (indexed late, or a skewed clock).
    fake.putIssues(
      { ...risks(4)[2]!, updated: '2026-03-10T11:57:00Z', status: 'Mitigated' },
      { ...risks(4)[1]!, updated: '2026-03-10T12:30:00Z', status: 'Accepted' },
    );
    const second = await connect(source, { now: '2026-03-11T08:00:00Z' });
    const before = fake.searches().length;
    const steps = await collect(second.connector, { previousState: state });
    expect((fake.searches()[before]!.body as { jql: string }).jql).toBe(
      '(project = RISK) AND updated >= "2026-03-10 11:55" ORDER BY created ASC, key ASC',
    );
    expect(keys(steps)).toEqual(['risk/RISK-2', 'risk/RISK-3']);
    expect(steps.map((s) => s.artifact.meta.attributes['status'])).toEqual(['Accepted', 'Mitigated']);
    expect(second.connector.state()).toMatchObject({ queries: { risks: { since: '2026-03-11T08:00:00.000Z' } } });
    expect(second.connector.stats()).toMatchObject({ requests: 2, issues: 2 });
  });

  it('without a configured time zone, writes the bound so that no profile time zone can make it late', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(1) });
    const { timeZone: _, ...noZone } = sourceFor(fake);
    const previousState = { v: 1, queries: {} } as JsonValue;
    const first = await connect(noZone as JiraSourceConfig, { now: '2026-03-10T12:00:00Z' });
    await collect(first.connector, { previousState });
    const second = await connect(noZone as JiraSourceConfig);
    await collect(second.connector, { previousState: first.connector.state() });
    // 11:55 UTC read at UTC+14 (the latest offset anywhere) is 2026-03-11 01:55.
    expect((fake.searches().at(-1)!.body as { jql: string }).jql).toContain('updated >= "2026-03-11 01:55"');
  });

  it('collects a query in full again when its JQL or fields changed, and keeps state when a run did not finish', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(3) });
    const first = await connect(sourceFor(fake));
    await collect(first.connector);
    const state = first.connector.state();

    const changed = await connect(
      sourceFor(fake, { queries: [{ name: 'risks', kind: 'risk', jql: 'project = RISK AND labels = ai' }] }),
    );
    await collect(changed.connector, { previousState: state });
    expect((fake.searches().at(-1)!.body as { jql: string }).jql).toBe(
      '(project = RISK AND labels = ai) ORDER BY created ASC, key ASC',
    );

    const incomplete = { v: 1, queries: {} } as JsonValue; // nothing to go on: a full run
    const unfinished = await connect(sourceFor(fake), { now: '2026-04-01T00:00:00Z' });
    expect(await collect(unfinished.connector, { previousState: incomplete, stopAfter: 1 })).toHaveLength(1);
    expect(unfinished.connector.state()).toEqual(incomplete);
  });
});

describe('jira connector: errors', () => {
  it('401 is a CredentialsError naming the expired credential (Cloud and Data Center)', async () => {
    const cloud = await startJira({
      deployment: 'cloud',
      auth: { basic: { user: 'bot@example.com', token: 'rotated' } },
    });
    const c = await connect(sourceFor(cloud));
    const err = await failure(collect(c.connector));
    expect(err).toBeInstanceOf(CredentialsError);
    expect(err.message).toContain('source "jira": Jira answered 401 Unauthorized to GET /rest/api/2/field');
    expect(err.message).toContain(
      'the API token of bot@example.com (auth.apiToken, from env JIRA_API_TOKEN) is invalid, expired or revoked',
    );
    expect(err.message).not.toContain('cloud-token-1');

    const dc = await startJira({ deployment: 'datacenter', auth: { bearer: 'another' } });
    const d = await connect(sourceFor(dc));
    const dErr = await failure(collect(d.connector));
    expect(dErr).toBeInstanceOf(CredentialsError);
    expect(dErr.message).toContain(
      'the personal access token (auth.personalAccessToken, from env JIRA_PAT) is invalid, expired or revoked',
    );
  });

  it('403 is a CredentialsError naming the missing permission and the query', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(2) });
    fake.fail((r) => r.path === '/rest/api/2/search/jql', {
      status: 403,
      body: JSON.stringify({ errorMessages: ['You do not have permission to view these issues.'] }),
    });
    const { connector } = await connect(sourceFor(fake));
    const err = await failure(collect(connector));
    expect(err).toBeInstanceOf(CredentialsError);
    expect(err.message).toContain('403 Forbidden to POST /rest/api/2/search/jql (queries[0] "risks", first page)');
    expect(err.message).toContain(
      'bot@example.com lacks a permission: "Browse projects" on every project the JQL of queries[0] "risks" reads',
    );
    expect(err.message).toContain('Jira said: You do not have permission to view these issues.');
  });

  it('a JQL naming an unknown project is a SourceConfigError naming the query', async () => {
    const fake = await startJira({ deployment: 'datacenter', issues: risks(1) });
    const { connector } = await connect(
      sourceFor(fake, {
        queries: [
          { name: 'risks', kind: 'risk', jql: 'project = RISK' },
          { name: 'incidents', kind: 'incident', jql: 'project = NOPE' },
        ],
      }),
    );
    const steps: CollectionStep[] = [];
    const err = await failure(
      (async () => {
        for await (const s of connector.collect({ log })) steps.push(s);
      })(),
    );
    expect(keys(steps)).toEqual(['risk/RISK-1']);
    expect(err).toBeInstanceOf(SourceConfigError);
    expect(err.message).toContain('source "jira": Jira rejected the JQL of queries[1] "incidents"');
    expect(err.message).toContain("The value 'NOPE' does not exist for the field 'project'. The JQL sent was:");
    expect(err.message).not.toMatch(/\.\./); // Jira's own full stop is not doubled by ours
  });

  it("a 400 from GET /field points at the url setting, with Jira's words", async () => {
    const fake = await startJira({ deployment: 'datacenter', issues: risks(1) });
    fake.fail((r) => r.path === '/rest/api/2/field', {
      status: 400,
      body: JSON.stringify({ errorMessages: ['Bad request.'], errors: {} }),
    });
    const { connector } = await connect(sourceFor(fake));
    const err = await failure(collect(connector));
    expect(err).toBeInstanceOf(SourceConfigError);
    expect(err.message).toContain(
      `GET /rest/api/2/field (url) answered 400 Bad Request (Bad request): check url "${fake.url}"; it must be the site's base URL`,
    );
    expect(err.message).not.toContain('answered HTTP 400');
  });

  it("keeps Jira's own error text from the last 5xx answer once retries run out", async () => {
    const fake = await startJira({ deployment: 'datacenter', issues: risks(1) });
    const body = (m: string) => JSON.stringify({ errorMessages: [m], errors: { jql: 'index unavailable' } });
    fake.fail((r) => r.path === '/rest/api/2/search', { status: 500, body: body('Lucene index is locked') }, 2);
    fake.fail((r) => r.path === '/rest/api/2/search', { status: 500, body: body('Index rebuild in progress.') }, 1);
    const { connector } = await connect(sourceFor(fake, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }));
    const err = await failure(collect(connector));
    expect(err).not.toBeInstanceOf(ConnectorError);
    expect(err.message).toContain(
      'failed after 3 attempt(s): HTTP 500. Jira said: Index rebuild in progress. jql: index unavailable',
    );
    expect(err.message).not.toContain('Lucene');
  });

  it('404 is a SourceConfigError: a wrong base URL names url, a missing search names the query', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(1) });
    const wrongBase = await connect(sourceFor(fake, { url: `${fake.url}/jira` }));
    const err = await failure(collect(wrongBase.connector));
    expect(err).toBeInstanceOf(SourceConfigError);
    expect(err.message).toContain('GET /jira/rest/api/2/field (url) answered 404 Not Found: check url');

    fake.fail((r) => r.path === '/rest/api/2/search/jql', { status: 404, body: '' });
    const { connector } = await connect(
      sourceFor(fake, { queries: [{ name: 'vendors', kind: 'vendor-review', jql: 'project = RISK' }] }),
    );
    const err2 = await failure(collect(connector));
    expect(err2).toBeInstanceOf(SourceConfigError);
    expect(err2.message).toContain(
      'POST /rest/api/2/search/jql (queries[0] "vendors", first page) answered 404 Not Found',
    );
  });

  it('a Cloud site configured as Data Center gets a SourceConfigError saying so (410 on POST /search)', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(1) });
    const source = { ...sourceFor(fake), deployment: 'datacenter' as const };
    const { connector } = await connect(source);
    const err = await failure(collect(connector));
    expect(err).toBeInstanceOf(SourceConfigError);
    expect(err.message).toContain(
      'is gone (HTTP 410); this looks like Jira Cloud, which removed it: set deployment: cloud',
    );
  });

  it('429 waits as long as Retry-After says (seconds or a date), then continues', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(3), serverMaxResults: 2 });
    fake.fail(
      (r) => r.path === '/rest/api/2/search/jql' && r.body !== undefined && 'nextPageToken' in (r.body as object),
      { status: 429, headers: { 'Retry-After': '3' }, body: '' },
    );
    fake.fail((r) => r.path === '/rest/api/2/field', {
      status: 429,
      headers: { 'Retry-After': 'Tue, 10 Mar 2026 12:00:07 GMT' },
      body: '',
    });
    const { connector, sleeps } = await connect(
      sourceFor(fake, { retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 60_000 } }),
    );
    const steps = await collect(connector);
    expect(keys(steps)).toHaveLength(3);
    expect(sleeps).toEqual([7000, 3000]);
    expect(connector.stats()).toMatchObject({ rateLimited: 2, retries: 2, requests: 5 });
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });

  it('5xx is retried with backoff (real, tiny delays), and fails retryably once attempts run out', async () => {
    const fake = await startJira({ deployment: 'datacenter', issues: risks(2) });
    fake.fail((r) => r.path === '/rest/api/2/search', { status: 503, body: '<html>Service Unavailable</html>' }, 2);
    const ok = await connect(sourceFor(fake), { realSleep: true });
    expect(await collect(ok.connector)).toHaveLength(2);
    expect(ok.connector.stats()).toMatchObject({ serverErrors: 2, retries: 2 });

    fake.fail((r) => r.path === '/rest/api/2/search', { status: 502, body: '' }, 10);
    const down = await connect(sourceFor(fake, { retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 250 } }));
    const err = await failure(collect(down.connector));
    expect(err).not.toBeInstanceOf(ConnectorError); // not non-retryable: Temporal tries the activity again later
    expect(err.message).toContain(
      'POST /rest/api/2/search (queries[0] "risks", startAt 0) failed after 3 attempt(s): HTTP 502',
    );
    expect(down.sleeps).toEqual([75, 150]); // 100 then 200, half of each jittered (random is 0.5 here)
  });

  it('network errors are retried, then fail retryably naming the endpoint; an abort stops a hanging request', async () => {
    const gone = await startJira({ deployment: 'cloud' });
    const source = sourceFor(gone, { retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    await fakes.pop()!.close();
    const { connector, sleeps } = await connect(source);
    const err = await failure(collect(connector));
    expect(err).not.toBeInstanceOf(ConnectorError);
    expect(err.message).toMatch(/GET \/rest\/api\/2\/field \(url\) failed after 2 attempt\(s\): .*ECONNREFUSED/);
    expect(sleeps).toEqual([8]); // 10, half jittered

    const fake = await startJira({ deployment: 'cloud', issues: risks(1) });
    fake.fail((r) => r.path === '/rest/api/2/search/jql', 'hang');
    const hanging = await connect(sourceFor(fake));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    const started = Date.now();
    const steps = (async () => {
      for await (const _ of hanging.connector.collect({ log, signal: controller.signal })) void _;
    })();
    await expect(steps).rejects.toThrow('activity cancelled');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a truncated JSON page fails that page with a SourceResponseError naming the endpoint', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(5), serverMaxResults: 2 });
    fake.fail(
      (r) => r.path === '/rest/api/2/search/jql' && r.body !== undefined && 'nextPageToken' in (r.body as object),
      'truncate',
    );
    const { connector } = await connect(sourceFor(fake));
    const steps: CollectionStep[] = [];
    const err = await failure(
      (async () => {
        for await (const s of connector.collect({ log })) steps.push(s);
      })(),
    );
    expect(keys(steps)).toEqual(['risk/RISK-1', 'risk/RISK-2']);
    expect(err).toBeInstanceOf(SourceResponseError);
    expect(err.message).toMatch(
      /POST \/rest\/api\/2\/search\/jql \(queries\[0\] "risks", next page\) returned a body that is not valid JSON \(\d+ bytes, truncated\?\)/,
    );
  });

  it('a body of the wrong shape is a SourceResponseError with the path that is wrong, never a TypeError', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(1) });
    fake.fail((r) => r.path === '/rest/api/2/search/jql', {
      status: 200,
      body: JSON.stringify({ issues: [{ key: 'RISK-1', fields: { status: 'Open' } }] }),
    });
    const a = await connect(sourceFor(fake));
    const err = await failure(collect(a.connector));
    expect(err).toBeInstanceOf(SourceResponseError);
    expect(err.message).toContain(
      'POST /rest/api/2/search/jql (queries[0] "risks", first page) returned an unexpected body: issues.0.id:',
    );

    fake.fail((r) => r.path === '/rest/api/2/field', { status: 200, body: JSON.stringify({ fields: [] }) });
    const b = await connect(sourceFor(fake));
    const err2 = await failure(collect(b.connector));
    expect(err2).toBeInstanceOf(SourceResponseError);
    expect(err2.message).toContain('GET /rest/api/2/field (url) returned an unexpected body: (body): ');

    fake.fail((r) => r.path === '/rest/api/2/search/jql', {
      status: 200,
      body: JSON.stringify({
        issues: [{ id: '1', key: 'RISK-1', fields: { created: 'yesterday', updated: '2026-01-01T00:00:00.000+0000' } }],
      }),
    });
    const c = await connect(sourceFor(fake));
    const err3 = await failure(collect(c.connector));
    expect(err3.message).toContain('issues.0.fields.created: not a Jira date-time: "yesterday"');
  });

  it('a configured custom field this Jira does not have is a SourceConfigError naming the entry', async () => {
    const fake = await startJira({
      deployment: 'cloud',
      customFields: [
        { id: 'customfield_10042', name: 'Risk Score' },
        { id: 'customfield_10050', name: 'Owner' },
        { id: 'customfield_10051', name: 'Owner' },
      ],
    });
    const missing = await connect(sourceFor(fake, { customFields: { riskScore: 'Risk Scor' } }));
    const err = await failure(collect(missing.connector));
    expect(err).toBeInstanceOf(SourceConfigError);
    expect(err.message).toContain(
      'customFields.riskScore: this Jira has no field named "Risk Scor" (GET /rest/api/2/field); similar: "Risk Score" (customfield_10042)',
    );

    const ambiguous = await connect(sourceFor(fake, { customFields: { owner: 'Owner' } }));
    const err2 = await failure(collect(ambiguous.connector));
    expect(err2.message).toContain(
      'customFields.owner: "Owner" names 2 fields (customfield_10050, customfield_10051); write the field id instead',
    );
  });
});

describe('jira connector: resume', () => {
  for (const deployment of ['cloud', 'datacenter'] as const) {
    it(`${deployment}: continues mid-pagination from the cursor, without reading earlier pages again`, async () => {
      const fake = await startJira({ deployment, issues: risks(12), serverMaxResults: 5 });
      const source = sourceFor(fake, {
        queries: [
          { name: 'incidents', kind: 'incident', jql: 'project = INC' },
          { name: 'risks', kind: 'risk', jql: 'project = RISK' },
        ],
      });
      const all = keys(await collect((await connect(source)).connector));
      expect(all).toHaveLength(12);

      const interrupted = await connect(source, { now: '2026-03-10T12:00:00Z' });
      const firstPart = await collect(interrupted.connector, { stopAfter: 7 }); // 2nd issue of page 2
      const cursor = firstPart.at(-1)!.cursor;

      const before = fake.searches().length;
      const retried = await connect(source, { now: '2026-03-10T12:45:00Z' });
      const rest = await collect(retried.connector, { resumeAfter: cursor });
      expect([...keys(firstPart), ...keys(rest)]).toEqual(all);
      const resumedSearches = fake
        .searches()
        .slice(before)
        .map((s) => s.body as Record<string, unknown>);
      expect(resumedSearches).toHaveLength(2); // pages 2 and 3 of "risks"; "incidents" was already done
      if (deployment === 'cloud') expect(typeof resumedSearches[0]!['nextPageToken']).toBe('string');
      else expect(resumedSearches.map((b) => b['startAt'])).toEqual([5, 10]);
      // The next run's bound is when the interrupted run started, not when the retry did.
      expect(retried.connector.state()).toMatchObject({
        queries: { risks: { since: '2026-03-10T12:00:00.000Z' }, incidents: { since: '2026-03-10T12:00:00.000Z' } },
      });
    });
  }

  it('Cloud: reads the query from its first page when Jira refuses the saved page token', async () => {
    const fake = await startJira({ deployment: 'cloud', issues: risks(6), serverMaxResults: 2 });
    const source = sourceFor(fake);
    const firstPart = await collect((await connect(source)).connector, { stopAfter: 3 });
    const cursor = JSON.parse(firstPart.at(-1)!.cursor) as { pos: { token: string } };
    expect(typeof cursor.pos.token).toBe('string');
    const stale = JSON.stringify({ ...cursor, pos: { token: 'expired-token' } });
    const rest = await collect((await connect(source)).connector, { resumeAfter: stale });
    expect(keys(rest)).toEqual(Array.from({ length: 6 }, (_, i) => `risk/RISK-${i + 1}`));
  });

  it('resumes between the attachments of one issue, and starts over on a cursor that is not its own', async () => {
    const att = (id: string, name: string) => ({
      id,
      filename: name,
      mimeType: 'text/plain',
      created: '2026-02-01T00:00:00Z',
      content: Buffer.from(`content of ${name}`),
    });
    const fake = await startJira({
      deployment: 'cloud',
      issues: [
        ...risks(1, () => ({ attachments: [att('3', 'a.txt'), att('11', 'b.txt'), att('20', 'c d.txt')] })),
        ...risks(2).slice(1),
      ],
    });
    const source = sourceFor(fake, { attachments: { download: true, maxBytes: 1000 } });
    const all = keys(await collect((await connect(source)).connector));
    expect(all).toEqual([
      'risk/RISK-1',
      'risk/RISK-1/attachments/3',
      'risk/RISK-1/attachments/11',
      'risk/RISK-1/attachments/20',
      'risk/RISK-2',
    ]);

    const firstPart = await collect((await connect(source)).connector, { stopAfter: 2 });
    const rest = await collect((await connect(source)).connector, { resumeAfter: firstPart.at(-1)!.cursor });
    expect([...keys(firstPart), ...keys(rest)]).toEqual(all);
    expect((await bytesOf(rest[1]!)).toString()).toBe('content of c d.txt');

    const foreign = await collect((await connect(source)).connector, { resumeAfter: 'policies/a.md' });
    expect(keys(foreign)).toEqual(all);
  });
});

describe('jira connector: attachments', () => {
  it("follows Jira Cloud's redirect of a download to the media service as an anonymous GET, and records the Jira URL", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const media = http.createServer((req, res) => {
      seen.push(req.headers);
      res
        .writeHead(req.url === '/file/501?token=short-lived' ? 200 : 404, { 'content-type': 'application/pdf' })
        .end(req.url === '/file/501?token=short-lived' ? Buffer.alloc(300, 7) : '');
    });
    await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
    const mediaUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
    try {
      const fake = await startJira({
        deployment: 'cloud',
        issues: [
          {
            key: 'AIA-1',
            type: 'Assessment',
            created: '2026-01-01T00:00:00Z',
            updated: '2026-03-01T00:00:00Z',
            attachments: [
              {
                id: '501',
                filename: 'assessment.pdf',
                mimeType: 'application/pdf',
                created: '2026-01-02T00:00:00Z',
                content: Buffer.alloc(300, 1),
              },
            ],
          },
        ],
      });
      fake.fail((r) => r.path.startsWith('/secure/attachment/501/'), {
        status: 303,
        headers: { location: `${mediaUrl}/file/501?token=short-lived` },
      });
      const source = sourceFor(fake, {
        queries: [{ name: 'assessments', kind: 'impact-assessment', jql: 'project = AIA' }],
        attachments: { download: true, maxBytes: 1000 },
      });
      const steps = await collect((await connect(source)).connector);
      expect(keys(steps)).toEqual(['impact-assessment/AIA-1', 'impact-assessment/AIA-1/attachments/501']);
      expect(await bytesOf(steps[1]!)).toEqual(Buffer.alloc(300, 7));
      expect(steps[1]!.artifact.meta.provenance.endpoint).toBe(`${fake.url}/secure/attachment/501/assessment.pdf`);
      // The Jira request carried credentials; the media request carried none of them.
      expect(fake.requests.find((r) => r.path.startsWith('/secure/attachment/'))!.headers.authorization).toBeDefined();
      expect(seen).toHaveLength(1);
      expect(seen[0]!.authorization).toBeUndefined();
      expect(seen[0]!.cookie).toBeUndefined();
      expect(JSON.stringify(seen[0])).not.toContain('cloud-token-1');
      expect(JSON.stringify(seen[0])).not.toContain(Buffer.from('bot@example.com:cloud-token-1').toString('base64'));
    } finally {
      media.closeAllConnections();
      await new Promise((r) => media.close(r));
    }
  });

  it('downloads attachments up to maxBytes as separate artifacts, skips larger ones, and only new ones on later runs', async () => {
    const fake = await startJira({
      deployment: 'datacenter',
      issues: [
        {
          key: 'AIA-1',
          type: 'Assessment',
          created: '2026-01-01T00:00:00Z',
          updated: '2026-03-01T00:00:00Z',
          attachments: [
            {
              id: '501',
              filename: 'assessment v1.pdf',
              mimeType: 'application/pdf',
              created: '2026-01-02T00:00:00Z',
              content: Buffer.alloc(300, 1),
            },
            {
              id: '502',
              filename: 'recording.mp4',
              mimeType: 'video/mp4',
              created: '2026-01-03T00:00:00Z',
              content: Buffer.alloc(2000, 2),
            },
            {
              id: '503',
              filename: 'lies.bin',
              mimeType: 'application/octet-stream',
              created: '2026-01-04T00:00:00Z',
              content: Buffer.alloc(200_000, 3),
              declaredSize: 10,
            },
          ],
        },
      ],
    });
    const source = sourceFor(fake, {
      queries: [{ name: 'assessments', kind: 'impact-assessment', jql: 'project = AIA' }],
      attachments: { download: true, maxBytes: 1000 },
    });
    const first = await connect(source);
    const steps = await collect(first.connector);
    expect(keys(steps)).toEqual(['impact-assessment/AIA-1', 'impact-assessment/AIA-1/attachments/501']);
    const attachment = steps[1]!.artifact.meta;
    expect(attachment).toMatchObject({
      kind: 'attachment',
      mediaType: 'application/pdf',
      observedAt: '2026-01-02T00:00:00.000Z',
    });
    expect(attachment.attributes).toMatchObject({
      issueKey: 'AIA-1',
      issueKind: 'impact-assessment',
      filename: 'assessment v1.pdf',
      size: 300,
      author: 'Grace Hopper',
    });
    expect(attachment.provenance.endpoint).toBe(`${fake.url}/secure/attachment/501/assessment%20v1.pdf`);
    expect(await bytesOf(steps[1]!)).toEqual(Buffer.alloc(300, 1));
    // The issue record still lists all three.
    expect(((await recordOf(steps[0]!))['attachments'] as unknown[]).length).toBe(3);
    expect(first.connector.stats()).toMatchObject({
      attachmentsDownloaded: 1,
      attachmentsSkipped: 2,
      attachmentBytes: 300,
    });
    expect(fake.requests.filter((r) => r.path.startsWith('/secure/attachment/502'))).toHaveLength(0); // declared too large: not asked

    fake.putIssues({
      key: 'AIA-1',
      type: 'Assessment',
      created: '2026-01-01T00:00:00Z',
      updated: '2026-03-12T00:00:00Z',
      attachments: [
        {
          id: '501',
          filename: 'assessment v1.pdf',
          mimeType: 'application/pdf',
          created: '2026-01-02T00:00:00Z',
          content: Buffer.alloc(300, 1),
        },
        {
          id: '504',
          filename: 'assessment v2.pdf',
          mimeType: 'application/pdf',
          created: '2026-03-12T00:00:00Z',
          content: Buffer.alloc(400, 4),
        },
      ],
    });
    const second = await connect(source, { now: '2026-03-13T00:00:00Z' });
    const later = await collect(second.connector, { previousState: first.connector.state() });
    expect(keys(later)).toEqual(['impact-assessment/AIA-1', 'impact-assessment/AIA-1/attachments/504']);
  });
});

describe('jira connector: configuration', () => {
  const base = {
    id: 'jira',
    type: 'jira',
    url: 'https://example.atlassian.net',
    deployment: 'cloud',
    auth: { email: 'bot@example.com', apiToken: { env: 'JIRA_API_TOKEN' } },
    queries: [{ name: 'risks', kind: 'risk', jql: 'project = RISK' }],
  };

  it('accepts both auth modes and fills defaults', () => {
    const cloud = jiraSourceSchema.parse(base);
    expect(cloud).toMatchObject({
      overlapMinutes: 5,
      pageSize: 50,
      attachments: { download: false, maxBytes: 10 * 1024 * 1024 },
      customFields: {},
    });
    const dc = jiraSourceSchema.parse({
      ...base,
      url: 'https://jira.example.com:8443/jira',
      deployment: 'datacenter',
      auth: { personalAccessToken: { file: '/run/secrets/jira-pat' } },
    });
    expect(dc.auth).toEqual({ personalAccessToken: { file: '/run/secrets/jira-pat' } });
  });

  it('rejects literal secrets, duplicate query names, unknown kinds, a JQL without a condition and a bad time zone', () => {
    const problems = (input: unknown) => {
      const r = jiraSourceSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(problems({ ...base, auth: { email: 'bot@example.com', apiToken: 'ATATT3x...' } }).join('\n')).toContain(
      'personalAccessToken',
    );
    expect(problems({ ...base, queries: [base.queries[0], base.queries[0]] })).toContain(
      'queries.1.name: duplicate query name "risks" (also queries[0])',
    );
    expect(problems({ ...base, queries: [{ name: 'x', kind: 'issue', jql: 'project = X' }] }).join()).toContain(
      'expected one of: risk, impact-assessment',
    );
    expect(problems({ ...base, queries: [{ name: 'x', kind: 'risk', jql: 'ORDER BY created' }] }).join()).toContain(
      'needs a condition',
    );
    expect(problems({ ...base, timeZone: 'Mars/Olympus' }).join()).toContain('not an IANA time zone');
    expect(problems({ ...base, url: 'ftp://jira' }).join()).toContain('expected an http(s) URL');
    expect(problems({ ...base, customFields: { 'risk score': 'Risk Score' } }).join()).toContain(
      '"risk score" is not usable as an attribute name',
    );
  });
});

describe('jira connector: JQL and dates', () => {
  it('replaces only a top-level ORDER BY', () => {
    expect(splitOrderBy('project = A AND summary ~ "order by" ORDER BY rank')).toEqual({
      where: 'project = A AND summary ~ "order by"',
      orderBy: 'ORDER BY rank',
    });
    expect(splitOrderBy("text ~ 'x\\' order by y'")).toEqual({ where: "text ~ 'x\\' order by y'" });
    expect(buildJql('project = A OR project = B order by key', new Date('2026-01-01T00:07:59Z'), 'Europe/Berlin')).toBe(
      '(project = A OR project = B) AND updated >= "2026-01-01 01:07" ORDER BY created ASC, key ASC',
    );
    expect(formatJqlDate(new Date('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('2026-07-01 08:00');
  });

  it('reads Jira date-times with any offset form', () => {
    expect(parseJiraDateTime('2026-03-01T10:15:30.000+0100')).toBe('2026-03-01T09:15:30.000Z');
    expect(parseJiraDateTime('2026-03-01T10:15:30.000-05:30')).toBe('2026-03-01T15:45:30.000Z');
    expect(parseJiraDateTime('2026-03-01T10:15:30Z')).toBe('2026-03-01T10:15:30.000Z');
    expect(parseJiraDateTime('01/Mar/26 10:15 AM')).toBeUndefined();
  });
});

describe('jira connector: proposed default mappings', () => {
  it('are valid mapping rules over jira kinds and catalog controls, and extend folder rules as alternatives', async () => {
    const text = await readFile(path.join(root, 'mappings', 'default', '20-jira.yaml'), 'utf8');
    const file = mappingFileSchema.parse(parseYaml(text));
    // Annex A controls and the management-system clauses (jira-corrective-actions targets 10.2).
    const controls = new Set([...loadCatalog().controls, ...loadClauseCatalog().controls].map((c) => c.id));
    const folder = mappingFileSchema.parse(
      parseYaml(await readFile(path.join(root, 'mappings', 'default', '10-documents.yaml'), 'utf8')),
    );
    for (const rule of file.rules) {
      for (const c of rule.controls) expect(controls.has(c), `${rule.id}: ${c}`).toBe(true);
      const selects = Array.isArray(rule.select) ? rule.select : [rule.select];
      for (const s of selects.filter((x) => x.source === 'jira'))
        expect(jiraKinds as readonly string[]).toContain(s.kind);
      const original = folder.rules.find((r) => r.id === rule.id);
      if (original) {
        expect(rule.controls).toEqual(original.controls);
        expect(selects).toContainEqual(original.select);
      }
    }
    expect(file.rules.flatMap((r) => r.controls)).toEqual(expect.arrayContaining(['A.8.4', 'A.6.2.5', 'A.3.3']));
    // Records kept in Jira are alternatives to the folder rules (issue 16): the rules they extend exist.
    const extended = file.extend.map((e) => e.rule);
    expect(extended).toEqual([
      'impact-assessment-records',
      'impact-assessment-individuals',
      'impact-assessment-societal',
      'system-requirements',
      'concern-register',
      'incident-communication-records',
      'supplier-assessments',
      'ai-risk-assessment',
      'aims-impact-assessments',
    ]);
    // The last two extend clause rules of 40-clauses.yaml (risk issues for 6.1.2/8.2, assessments for 6.1.4/8.4).
    const clauses = mappingFileSchema.parse(
      parseYaml(await readFile(path.join(root, 'mappings', 'default', '40-clauses.yaml'), 'utf8')),
    );
    for (const id of extended) expect([...folder.rules, ...clauses.rules].map((r) => r.id)).toContain(id);
    for (const e of file.extend)
      for (const s of Array.isArray(e.select) ? e.select : [e.select])
        expect(jiraKinds as readonly string[]).toContain(s.kind);
  });

  it('select the artifacts the connector produces', async () => {
    const fake = await startJira({
      deployment: 'cloud',
      issues: [
        {
          key: 'INC-1',
          type: 'Incident',
          status: 'Done',
          statusCategory: 'done',
          resolution: 'Done',
          created: '2026-01-01T00:00:00Z',
          updated: '2026-01-05T00:00:00Z',
          resolved: '2026-01-04T00:00:00Z',
        },
      ],
    });
    const { connector } = await connect(
      sourceFor(fake, { queries: [{ name: 'incidents', kind: 'incident', jql: 'project = INC' }] }),
    );
    const [step] = await collect(connector);
    const text = await readFile(path.join(root, 'mappings', 'default', '20-jira.yaml'), 'utf8');
    const rule = mappingFileSchema.parse(parseYaml(text)).rules.find((r) => r.id === 'jira-incident-handling')!;
    const select = compileSelector(Array.isArray(rule.select) ? rule.select[0]! : rule.select);
    expect(
      select({
        source: 'jira',
        sourceType: 'jira',
        kind: step!.artifact.meta.kind,
        attributes: step!.artifact.meta.attributes,
      }),
    ).toBe(true);
  });
});
