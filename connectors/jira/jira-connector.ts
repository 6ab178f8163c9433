import { maxJsonBytes } from '../http-limits';
import JiraApi from 'jira-client';
import type { Logger } from 'pino';
import { fingerprint } from '../../core/digest';
import type { SecretRef } from '../../core/secrets';
import type { ResolveSecret } from '../descriptor';
import { SourceConfigError } from '../../core/errors';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import type { JsonValue } from '../../core/json';
import {
  defaultClientDeps,
  JiraRestClient,
  withoutFinalStop,
  type ClientDeps,
  type CredentialDescription,
} from './client';
import type { JiraQueryConfig, JiraSourceConfig } from './config';
import { jiraCollector, newJiraCounters, observedAtRule, type JiraContext } from './context';
import { decodeCursor, parseState, type JiraCursor, type JiraState } from './cursor';
import { buildJql } from './jql';
import type { ResolvedCustomField } from './normalize';
import { collectQuery } from './query';
import { fieldListSchema } from './schemas';
import { StatusCategories } from './status-categories';
import { JiraTransport } from './transport';

export { jiraCollector } from './context';

export type JiraAuth = { scheme: 'basic'; email: string; apiToken: string } | { scheme: 'bearer'; token: string };

export interface JiraConnectorOptions {
  source: JiraSourceConfig;
  auth: JiraAuth;
  credential: CredentialDescription;
  deps?: Partial<ClientDeps>;
}

/**
 * Issues from Jira Cloud or Data Center, read with configured JQL queries: one JSON artifact per issue
 * (the normalized record), and optionally one per attachment. Incremental: each query re-reads only
 * issues updated since the previous sealed run started, minus a safety overlap.
 *
 * The class holds the run's state (resume point, per-query lower bounds); reading a query is in query.ts,
 * with its search pages (search.ts), changelogs (changelog.ts) and attachments (attachments.ts), all
 * sharing one JiraContext.
 */
export class JiraConnector implements Connector {
  readonly type = 'jira';
  private readonly source: JiraSourceConfig;
  private readonly client: JiraRestClient;
  private readonly transport: JiraTransport;
  private readonly deps: ClientDeps;
  private readonly ctx: JiraContext;
  /** Base URL without a trailing slash, e.g. https://jira.example.com/jira */
  readonly siteUrl: string;
  private completed: JiraState | undefined;
  private previousState: JsonValue | undefined;

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
    this.client = new JiraRestClient(
      api,
      this.transport,
      { sourceId: opts.source.id, retry: opts.source.retry, credential: opts.credential },
      this.deps,
    );
    const shared = {
      source: this.source,
      client: this.client,
      transport: this.transport,
      siteUrl: this.siteUrl,
      counters: newJiraCounters(),
    };
    this.ctx = { ...shared, statusCategories: new StatusCategories(shared) };
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    const log = options.log;
    this.transport.signal = options.signal;
    this.client.log = log;
    this.previousState = options.previousState;
    this.ctx.statusCategories.reset();
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
      yield* collectQuery(this.ctx, {
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

  /** Non-fatal: statuses whose category this Jira does not tell (rules on statusCategory are blind there). */
  problems(): string[] {
    return this.ctx.statusCategories.problems();
  }

  stats(): ConnectorStats {
    return { ...this.client.stats, ...this.ctx.counters };
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
      observedAt: observedAtRule(query),
      customFields: customFields.map((c) => [c.alias, c.id]),
      attachments: this.source.attachments.download,
      collector: jiraCollector,
    };
    return fingerprint(shape, 32);
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
            `source "${sid}": ${where} answered 404 Not Found: check url "${this.source.url}"; ${baseUrlHint}`,
          ),
        // The first request of a run: a 400 here is not about a query (none was sent yet) but about
        // where the requests go (a proxy, a login page or another application under that URL).
        badRequest: (where, says) =>
          new SourceConfigError(
            `source "${sid}": ${where} answered 400 Bad Request${says ? ` (${withoutFinalStop(says)})` : ''}: check url "${this.source.url}"; ${baseUrlHint}`,
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
}

const baseUrlHint =
  "it must be the site's base URL with any context path (e.g. https://jira.example.com/jira), not a page, project or API URL";

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
