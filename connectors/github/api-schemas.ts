import { z } from 'zod';

/**
 * The parts of GitHub's REST answers the connector reads (field names as in the official OpenAPI
 * description, @octokit/openapi-types). Unknown fields are dropped; a missing or mistyped field the
 * connector needs fails the page with SourceResponseError instead of a TypeError later.
 */
const login = z.object({ login: z.string() });
const user = login.nullable();
/** Ids may exceed 2^53 (GitHub's description types them `number | bigint`); kept as strings. */
const id = z.union([z.number().int(), z.bigint()]).transform((v) => v.toString());
const time = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp');

export const minimalRepoSchema = z.object({
  name: z.string(),
  full_name: z.string(),
  owner: login,
  private: z.boolean(),
  fork: z.boolean(),
  default_branch: z.string().optional(),
  topics: z.array(z.string()).optional(),
  archived: z.boolean().optional(),
  visibility: z.string().optional(),
});
export const repoListSchema = z.array(minimalRepoSchema);
export const fullRepoSchema = minimalRepoSchema.extend({ default_branch: z.string(), archived: z.boolean() });
export type MinimalRepo = z.infer<typeof minimalRepoSchema>;

const enabledFlag = z.object({ enabled: z.boolean().optional() }).optional();
/**
 * Who may do something despite a protection (push to the branch, dismiss reviews, bypass the pull
 * request requirement): `branch-restriction-policy` and the `dismissal_restrictions` and
 * `bypass_pull_request_allowances` objects of `protected-branch`. Apps are `integration | null`.
 */
const actorLists = z.object({
  users: z.array(z.object({ login: z.string().optional() })).optional(),
  teams: z.array(z.object({ slug: z.string() })).optional(),
  apps: z
    .array(z.object({ slug: z.string().optional(), name: z.string().optional() }).nullable())
    .nullable()
    .optional(),
});
export type ActorLists = z.infer<typeof actorLists>;
export const branchProtectionSchema = z.object({
  required_status_checks: z
    .object({
      strict: z.boolean().optional(),
      contexts: z.array(z.string()).optional(),
      checks: z.array(z.object({ context: z.string() })).optional(),
    })
    .nullable()
    .optional(),
  required_pull_request_reviews: z
    .object({
      dismiss_stale_reviews: z.boolean().optional(),
      require_code_owner_reviews: z.boolean().optional(),
      required_approving_review_count: z.number().int().optional(),
      require_last_push_approval: z.boolean().optional(),
      dismissal_restrictions: actorLists.optional(),
      bypass_pull_request_allowances: actorLists.optional(),
    })
    .optional(),
  restrictions: actorLists.nullable().optional(),
  required_signatures: enabledFlag,
  enforce_admins: enabledFlag,
  required_linear_history: enabledFlag,
  allow_force_pushes: enabledFlag,
  allow_deletions: enabledFlag,
  required_conversation_resolution: enabledFlag,
  lock_branch: enabledFlag,
});
export type BranchProtection = z.infer<typeof branchProtectionSchema>;

export const branchRuleSchema = z.object({
  type: z.string(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  ruleset_id: z.number().int().optional(),
  ruleset_source: z.string().optional(),
  ruleset_source_type: z.string().optional(),
});
export const branchRulesSchema = z.array(branchRuleSchema);
export type BranchRule = z.infer<typeof branchRuleSchema>;

export const pullSchema = z.object({
  number: z.number().int(),
  title: z.string(),
  html_url: z.string(),
  user,
  state: z.string(),
  draft: z.boolean().optional(),
  created_at: time,
  updated_at: time,
  closed_at: time.nullable(),
  merged_at: time.nullable(),
  merge_commit_sha: z.string().nullable(),
  base: z.object({ ref: z.string() }),
  head: z.object({ ref: z.string(), sha: z.string() }),
  labels: z.array(z.object({ name: z.string() })),
});
export const pullListSchema = z.array(pullSchema);
export type Pull = z.infer<typeof pullSchema>;

export const reviewSchema = z.object({
  id,
  user,
  state: z.string(),
  submitted_at: time.optional(),
  commit_id: z.string().nullable(),
});
export const reviewListSchema = z.array(reviewSchema);
export type Review = z.infer<typeof reviewSchema>;

export const treeSchema = z.object({
  sha: z.string(),
  truncated: z.boolean(),
  tree: z.array(
    z.object({
      path: z.string(),
      mode: z.string(),
      type: z.string(),
      sha: z.string(),
      size: z.number().int().optional(),
    }),
  ),
});

export const blobSchema = z.object({
  sha: z.string(),
  content: z.string(),
  encoding: z.string(),
  size: z.number().int().nullable(),
});

const gitActor = z
  .object({ name: z.string().optional(), email: z.string().optional(), date: time.optional() })
  .nullable();
export const commitListSchema = z.array(
  z.object({
    sha: z.string(),
    html_url: z.string().optional(),
    commit: z.object({ author: gitActor, committer: gitActor, message: z.string() }),
    author: z.object({ login: z.string().optional() }).nullable().optional(),
  }),
);

export const releaseListSchema = z.array(
  z.object({
    id,
    tag_name: z.string(),
    name: z.string().nullable(),
    draft: z.boolean(),
    prerelease: z.boolean(),
    created_at: time,
    published_at: time.nullable(),
    target_commitish: z.string(),
    html_url: z.string(),
    author: user.optional(),
    assets: z.array(
      z.object({
        name: z.string(),
        size: z.number().int().nonnegative().optional(),
        content_type: z.string().optional(),
        /** `sha256:<hex>` for assets uploaded since GitHub computes it; null for older ones. */
        digest: z.string().nullable().optional(),
        state: z.string().optional(),
      }),
    ),
  }),
);
export type Release = z.infer<typeof releaseListSchema>[number];

export const tagListSchema = z.array(z.object({ name: z.string(), commit: z.object({ sha: z.string() }) }));

export const workflowRunSchema = z.object({
  id,
  name: z.string().nullable().optional(),
  path: z.string(),
  display_title: z.string().optional(),
  run_number: z.number().int(),
  run_attempt: z.number().int().optional(),
  event: z.string(),
  status: z.string().nullable(),
  conclusion: z.string().nullable(),
  head_branch: z.string().nullable(),
  head_sha: z.string(),
  created_at: time,
  updated_at: time,
  run_started_at: time.optional(),
  actor: login.optional(),
  html_url: z.string(),
});
export const workflowRunsSchema = z.object({
  total_count: z.number().int(),
  workflow_runs: z.array(workflowRunSchema),
});
export type WorkflowRun = z.infer<typeof workflowRunSchema>;

export const runArtifactsSchema = z.object({
  total_count: z.number().int(),
  artifacts: z.array(
    z.object({
      name: z.string(),
      size_in_bytes: z.number(),
      expired: z.boolean(),
      digest: z.string().nullable().optional(),
    }),
  ),
});

const severity = z.enum(['low', 'medium', 'high', 'critical']);
export const dependabotAlertSchema = z.object({
  number: z.number().int(),
  state: z.string(),
  html_url: z.string(),
  created_at: time,
  dependency: z.object({
    package: z.object({ ecosystem: z.string(), name: z.string() }).optional(),
    manifest_path: z.string().optional(),
    scope: z.string().nullable().optional(),
  }),
  security_advisory: z.object({ ghsa_id: z.string(), cve_id: z.string().nullable(), summary: z.string(), severity }),
  security_vulnerability: z.object({
    severity,
    first_patched_version: z.object({ identifier: z.string() }).nullable(),
  }),
});
export const dependabotAlertListSchema = z.array(dependabotAlertSchema);
export type DependabotAlert = z.infer<typeof dependabotAlertSchema>;

export const environmentSchema = z.object({
  name: z.string(),
  created_at: time,
  updated_at: time,
  protection_rules: z
    .array(
      z.object({
        type: z.string(),
        wait_timer: z.number().int().optional(),
        prevent_self_review: z.boolean().optional(),
        reviewers: z
          .array(
            z.object({
              type: z.string().optional(),
              reviewer: z
                .object({ login: z.string().optional(), slug: z.string().optional(), name: z.string().optional() })
                .optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
  deployment_branch_policy: z
    .object({ protected_branches: z.boolean(), custom_branch_policies: z.boolean() })
    .nullable()
    .optional(),
});
export const environmentListSchema = z.object({
  total_count: z.number().int().optional(),
  environments: z.array(environmentSchema).optional(),
});
export type Environment = z.infer<typeof environmentSchema>;
