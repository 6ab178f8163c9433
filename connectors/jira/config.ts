import { z } from 'zod';
import { secretRefSchema } from '../../core/secrets';
import { sourceIdSchema } from '../source-id';
import { isTimeZone, splitOrderBy } from './jql';
import { jiraIssueKinds } from './kinds';

const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit',
  );

/** One JQL query and the kind of evidence its issues are. */
const querySchema = z.strictObject({
  /** Names the query in errors, cursors and state; renaming it starts that query over. */
  name: slug,
  kind: z.enum(jiraIssueKinds, { error: `expected one of: ${jiraIssueKinds.join(', ')}` }),
  jql: z
    .string()
    .min(1)
    .refine((jql) => splitOrderBy(jql).where !== '', {
      message: 'the JQL needs a condition (e.g. project = RISK), not only ORDER BY',
    }),
  /**
   * Which time an issue artifact is observed at: `updated` (the issue as last edited: a living record such
   * as a risk), or `resolved` (the resolution time once resolved, else updated: closed records such as
   * incidents, whose later comments do not make them newer evidence). Default: `updated` for risks,
   * `resolved` for every other kind.
   */
  observedAt: z.enum(['updated', 'resolved']).optional(),
});

/** Jira Cloud: basic auth with the account's email address and an API token. */
const cloudAuthSchema = z.strictObject({
  email: z.string().min(3),
  apiToken: secretRefSchema,
});

/** Jira Data Center / Server: a personal access token, sent as a bearer token. */
const dataCenterAuthSchema = z.strictObject({
  personalAccessToken: secretRefSchema,
});

/** Custom field aliases become attribute path segments in mapping rules (`customFields.riskScore`). */
const attributeName = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

export const jiraSourceSchema = z
  .strictObject({
    id: sourceIdSchema,
    type: z.literal('jira'),
    /** Base URL of the site, with any context path: https://example.atlassian.net, https://jira.example.com:8443/jira */
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://example.atlassian.net' })
      .refine(isPlainBaseUrl, { message: 'no query, fragment or credentials in the URL' }),
    /** `cloud` searches with POST /rest/api/2/search/jql; `datacenter` with POST /rest/api/2/search. */
    deployment: z.enum(['cloud', 'datacenter']),
    auth: z.union([cloudAuthSchema, dataCenterAuthSchema], {
      error:
        'expected { email, apiToken: { env: NAME } } (Jira Cloud) or { personalAccessToken: { env: NAME } } (Data Center)',
    }),
    queries: z.array(querySchema).min(1, 'configure at least one query'),
    /** Custom fields to record, by the attribute name they get: `{ riskScore: "Risk Score" }`. A field id (customfield_10042) also works. */
    customFields: z.record(z.string(), z.string().min(1)).default({}),
    /** Re-read issues updated this many minutes before the last run's start (clock skew, slow indexing). */
    overlapMinutes: z.number().int().min(0).max(1440).default(5),
    /** Time zone of the Jira account's profile, for JQL date literals. Unset: a safe bound that re-reads up to a day. */
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'not an IANA time zone such as Europe/Berlin or UTC' })
      .optional(),
    /** Issues asked per search page; the server may return fewer. */
    pageSize: z.number().int().min(1).max(1000).default(50),
    attachments: z
      .strictObject({
        download: z.boolean().default(false),
        /** Larger attachments are recorded in the issue's metadata but not downloaded. */
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(10 * 1024 * 1024),
      })
      .default({ download: false, maxBytes: 10 * 1024 * 1024 }),
    retry: z
      .strictObject({
        /** Attempts per request, counting the first. 429 and 5xx answers and network errors are retried. */
        maxAttempts: z.number().int().min(1).max(20).default(6),
        baseDelayMs: z.number().int().min(0).default(1000),
        /** Upper bound of one wait, including a server's Retry-After. */
        maxDelayMs: z.number().int().min(0).default(300_000),
      })
      .default({ maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 300_000 }),
    timeoutMs: z.number().int().positive().default(60_000),
  })
  .superRefine((src, ctx) => {
    const seen = new Map<string, number>();
    src.queries.forEach((q, i) => {
      const first = seen.get(q.name);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['queries', i, 'name'],
          message: `duplicate query name "${q.name}" (also queries[${first}])`,
        });
      seen.set(q.name, i);
    });
    for (const alias of Object.keys(src.customFields)) {
      if (!attributeName.test(alias)) {
        ctx.addIssue({
          code: 'custom',
          path: ['customFields', alias],
          message: `"${alias}" is not usable as an attribute name: use letters, digits and "_", starting with a letter (e.g. riskScore)`,
        });
      }
    }
  });

function isPlainBaseUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return !u.search && !u.hash && !u.username && !u.password;
  } catch {
    return true; // reported by the url check itself
  }
}

export type JiraSourceConfig = z.infer<typeof jiraSourceSchema>;
export type JiraSourceInput = z.input<typeof jiraSourceSchema>;
export type JiraQueryConfig = JiraSourceConfig['queries'][number];
