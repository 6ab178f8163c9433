import { z } from 'zod';

/**
 * Shapes of the Jira REST API v2 responses the connector reads, after the official API description.
 * Only what the connector uses is checked; unknown properties pass. A body that does not fit fails its
 * page with a SourceResponseError naming the endpoint and the offending path, never a TypeError later.
 */

const jiraTimestamp = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})$/;

/** Jira writes `2026-03-01T10:15:30.000+0100`; returns the instant as ISO 8601 UTC, or undefined. */
export function parseJiraDateTime(text: string): string | undefined {
  const m = jiraTimestamp.exec(text.trim());
  if (!m) return undefined;
  const zone = m[2] === 'Z' ? 'Z' : `${m[2]!.slice(0, 3)}:${m[2]!.slice(-2)}`;
  const ms = Date.parse(`${m[1]}${zone}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const dateTime = z.string().transform((text, ctx) => {
  const iso = parseJiraDateTime(text);
  if (iso === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a Jira date-time: ${JSON.stringify(text.slice(0, 40))}` });
    return z.NEVER;
  }
  return iso;
});

export const userSchema = z
  .looseObject({
    displayName: z.string().optional(),
    /** Cloud */
    accountId: z.string().optional(),
    /** Data Center */
    name: z.string().optional(),
    key: z.string().optional(),
  })
  .nullable()
  .optional();
export type JiraUser = z.infer<typeof userSchema>;

const named = z.looseObject({ name: z.string() });

export const fieldListSchema = z.array(
  z.looseObject({
    id: z.string(),
    name: z.string(),
    custom: z.boolean().optional(),
  }),
);

export const historySchema = z.looseObject({
  id: z.string(),
  created: dateTime,
  author: userSchema,
  items: z.array(
    z.looseObject({
      field: z.string(),
      fieldtype: z.string().optional(),
      from: z.string().nullable().optional(),
      fromString: z.string().nullable().optional(),
      to: z.string().nullable().optional(),
      toString: z.string().nullable().optional(),
    }),
  ),
});
export type JiraHistory = z.infer<typeof historySchema>;

export const attachmentSchema = z.looseObject({
  id: z.string(),
  filename: z.string().min(1),
  size: z.number().int().nonnegative(),
  mimeType: z.string().optional(),
  created: dateTime,
  author: userSchema,
  content: z.string().optional(),
});
export type JiraAttachment = z.infer<typeof attachmentSchema>;

export const issueSchema = z.looseObject({
  id: z.string(),
  key: z.string().min(1),
  fields: z.looseObject({
    summary: z.string().nullable().optional(),
    issuetype: named.nullable().optional(),
    status: z
      .looseObject({
        name: z.string(),
        id: z.string().optional(),
        statusCategory: z.looseObject({ key: z.string(), name: z.string().optional() }).optional(),
      })
      .nullable()
      .optional(),
    resolution: named.nullable().optional(),
    priority: named.nullable().optional(),
    project: z.looseObject({ key: z.string(), name: z.string().optional() }).nullable().optional(),
    assignee: userSchema,
    reporter: userSchema,
    created: dateTime,
    updated: dateTime,
    resolutiondate: dateTime.nullable().optional(),
    labels: z.array(z.string()).nullable().optional(),
    components: z.array(named).nullable().optional(),
    attachment: z.array(attachmentSchema).nullable().optional(),
  }),
  changelog: z
    .looseObject({
      startAt: z.number().int().optional(),
      maxResults: z.number().int().optional(),
      total: z.number().int().optional(),
      histories: z.array(historySchema),
    })
    .optional(),
});
export type JiraIssue = z.infer<typeof issueSchema>;

/** POST /rest/api/2/search (Data Center; removed from Jira Cloud). */
export const offsetSearchPageSchema = z.looseObject({
  startAt: z.number().int().nonnegative(),
  maxResults: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  issues: z.array(issueSchema),
});

/** POST /rest/api/2/search/jql (Jira Cloud enhanced search): token pagination, no total. */
export const tokenSearchPageSchema = z.looseObject({
  issues: z.array(issueSchema),
  nextPageToken: z.string().nullable().optional(),
  isLast: z.boolean().optional(),
});

/** GET /rest/api/2/issue/{key}/changelog (Jira Cloud). */
export const changelogPageSchema = z.looseObject({
  startAt: z.number().int().nonnegative(),
  maxResults: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  isLast: z.boolean().optional(),
  values: z.array(historySchema),
});

/** GET /rest/api/2/issue/{key}?expand=changelog (Data Center: the whole changelog at once). */
export const issueWithChangelogSchema = z.looseObject({
  key: z.string(),
  changelog: z.looseObject({ histories: z.array(historySchema) }),
});

/** The error body Jira sends with 4xx answers. */
export const errorBodySchema = z.looseObject({
  errorMessages: z.array(z.string()).optional(),
  errors: z.record(z.string(), z.unknown()).optional(),
  message: z.string().optional(),
});
