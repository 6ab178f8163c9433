import { z } from 'zod';
import { durationHint, parseDuration } from '../../core/duration';
import { secretRefSchema } from '../../core/secrets';
import { sourceIdSchema } from '../source-id';

/**
 * `type: github` in evidence-hub.yaml. Which organisations and repositories to read, which evidence kinds
 * to collect, and how to talk to the API. Secrets are only ever `{ env: NAME }` or `{ file: path }`.
 */
const duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, { message: `not a duration; ${durationHint}` });
const glob = z.string().min(1);

const orgScopeSchema = z.strictObject({
  /** Organisation login, e.g. `acme`. A 404 on it is a configuration error naming this entry. */
  name: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'must be a GitHub organisation login'),
  /** Repository name globs inside the organisation (`ml-*`, `model-service`). */
  repositories: z.array(glob).min(1).default(['*']),
  /** Only repositories carrying at least one of these topics (all when empty). */
  topics: z.array(z.string().min(1)).default([]),
  /** Repository name globs to leave out, applied after `repositories` and `topics`. */
  exclude: z.array(glob).default([]),
  includeArchived: z.boolean().default(false),
  includeForks: z.boolean().default(false),
});

/** Exactly one of `token` or `app`. */
const authSchema = z
  .strictObject({
    /** A fine-grained or classic personal access token (or any installation token). */
    token: secretRefSchema.optional(),
    app: z
      .strictObject({
        appId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be the numeric App ID')]),
        /** The App's private key (PEM, PKCS#1 or PKCS#8). */
        privateKey: secretRefSchema,
        installationId: z.number().int().positive(),
      })
      .optional(),
  })
  .refine((a) => (a.token === undefined) !== (a.app === undefined), {
    message:
      'set exactly one of auth.token ({ env: GITHUB_TOKEN }) or auth.app ({ appId, privateKey: { file: app.pem }, installationId })',
  });

const collectSchema = z.strictObject({
  /** Default-branch protection (classic) and the rulesets that apply to the default branch. */
  branchProtection: z.boolean().default(true),
  /**
   * With branchProtection: also read the rulesets that apply to the default branch (`GET …/rules/branches/{b}`,
   * one more request per repository) and combine them into the record. false: classic protection only.
   */
  branchRulesets: z.boolean().default(true),
  /** Merged pull requests with their reviews, and a per-repository summary over `window`. */
  pullRequests: z
    .union([z.literal(false), z.strictObject({ window: duration.default('90d') })])
    .default({ window: '90d' }),
  codeowners: z.boolean().default(true),
  releases: z.boolean().default(true),
  tags: z.boolean().default(true),
  /** Completed runs of the named workflows (file name such as `evaluate.yml`, or numeric workflow id). */
  workflowRuns: z
    .union([
      z.literal(false),
      z.strictObject({ workflows: z.array(z.string().min(1)).min(1), window: duration.default('90d') }),
    ])
    .default(false),
  /** Open Dependabot alerts with severity and age, one summary per repository. */
  dependabotAlerts: z.boolean().default(true),
  /** Files on the default branch matched by path globs (policies, model cards, ADRs), with their last commit. */
  files: z
    .union([
      z.literal(false),
      z.strictObject({
        include: z.array(glob).min(1),
        exclude: z.array(glob).default([]),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(10 * 1024 * 1024),
      }),
    ])
    .default(false),
  /** Deployment environments and their protection rules. */
  environments: z.boolean().default(true),
});

const requestsSchema = z.strictObject({
  /** Items per page (the API's maximum is 100). */
  perPage: z.number().int().min(1).max(100).default(100),
  /** Retries of a request after a 5xx, 429, secondary rate limit or network error. */
  retries: z.number().int().min(0).max(10).default(3),
  /** Requests in flight at once. GitHub asks integrations to keep this low (secondary rate limits). */
  concurrency: z.number().int().min(1).max(8).default(2),
  /** Longest wait for the primary rate limit to reset before the run fails (retryable). */
  maxRateLimitWaitSeconds: z.number().int().min(0).default(900),
});

export const githubSourceSchema = z
  .strictObject({
    id: sourceIdSchema,
    type: z.literal('github'),
    /** REST API root. GitHub Enterprise Server: `https://ghe.example.com/api/v3`. */
    baseUrl: z.url({ protocol: /^https?$/ }).default('https://api.github.com'),
    auth: authSchema,
    orgs: z.array(orgScopeSchema).default([]),
    /** Exact `owner/name` repositories (in addition to the organisations). A 404 is a configuration error. */
    repositories: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name')).default([]),
    collect: collectSchema.prefault({}),
    requests: requestsSchema.prefault({}),
  })
  .refine((s) => s.orgs.length > 0 || s.repositories.length > 0, {
    message: 'declare at least one entry in orgs or repositories',
    path: ['orgs'],
  });

export type GithubSourceInput = z.input<typeof githubSourceSchema>;
export type GithubSourceConfig = z.output<typeof githubSourceSchema>;
