import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { JsonValue } from '../../core/json';
import type {
  BranchProtection,
  BranchRule,
  DependabotAlert,
  Environment,
  Pull,
  Release,
  Review,
  WorkflowRun,
} from './api-schemas';

/**
 * Pure functions from GitHub's answers to normalized records (the artifact bytes, as canonical JSON)
 * and their attributes (what mapping rules select on). No I/O, no clock: `now` is passed in.
 */
export type Attributes = Record<string, JsonValue>;
export interface Normalized {
  record: Record<string, JsonValue>;
  attributes: Attributes;
}

const sortedUnique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
const bool = (v: boolean | undefined | null): boolean => v === true;

// ---------------------------------------------------------------------------------------------------
// Branch protection and rulesets

/**
 * Classic protection and the ruleset rules that apply to the default branch, and the effective
 * combination of both (GitHub enforces the strictest of the two).
 */
export function normalizeBranchProtection(
  repository: string,
  branch: string,
  classic: BranchProtection | undefined,
  rules: BranchRule[],
): Normalized {
  const reviews = classic?.required_pull_request_reviews;
  const classicChecks = sortedUnique([
    ...(classic?.required_status_checks?.contexts ?? []),
    ...(classic?.required_status_checks?.checks ?? []).map((c) => c.context),
  ]);
  const classicRecord: JsonValue = classic
    ? {
        pullRequestReviewsRequired: reviews !== undefined,
        requiredApprovingReviewCount: reviews?.required_approving_review_count ?? 0,
        requireCodeOwnerReviews: bool(reviews?.require_code_owner_reviews),
        dismissStaleReviews: bool(reviews?.dismiss_stale_reviews),
        requireLastPushApproval: bool(reviews?.require_last_push_approval),
        requiredStatusChecks: classicChecks,
        strictStatusChecks: bool(classic.required_status_checks?.strict),
        enforceAdmins: bool(classic.enforce_admins?.enabled),
        allowForcePushes: bool(classic.allow_force_pushes?.enabled),
        allowDeletions: bool(classic.allow_deletions?.enabled),
        requiredLinearHistory: bool(classic.required_linear_history?.enabled),
        requiredSignatures: bool(classic.required_signatures?.enabled),
        requiredConversationResolution: bool(classic.required_conversation_resolution?.enabled),
        lockBranch: bool(classic.lock_branch?.enabled),
      }
    : null;

  const ruleRecords = rules
    .map((r) => ({
      type: r.type,
      rulesetId: r.ruleset_id ?? null,
      rulesetSource: r.ruleset_source ?? null,
      rulesetSourceType: r.ruleset_source_type ?? null,
      parameters: toJson(r.parameters ?? {}),
    }))
    .sort((a, b) => cmp(a.type, b.type) || (a.rulesetId ?? 0) - (b.rulesetId ?? 0));
  const ofType = (t: string) => rules.filter((r) => r.type === t);
  const param = <T>(r: BranchRule, key: string, guard: (v: unknown) => v is T): T | undefined => {
    const v = r.parameters?.[key];
    return guard(v) ? v : undefined;
  };
  const isNum = (v: unknown): v is number => typeof v === 'number';
  const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
  const prRules = ofType('pull_request');
  const checkRules = ofType('required_status_checks');
  const ruleChecks = checkRules.flatMap((r) => {
    const list = r.parameters?.['required_status_checks'];
    return Array.isArray(list)
      ? list.map((c) => (c as { context?: unknown }).context).filter((c): c is string => typeof c === 'string')
      : [];
  });

  const effective = {
    pullRequestRequired: reviews !== undefined || prRules.length > 0,
    requiredApprovingReviewCount: Math.max(
      reviews?.required_approving_review_count ?? 0,
      ...prRules.map((r) => param(r, 'required_approving_review_count', isNum) ?? 0),
    ),
    requireCodeOwnerReview:
      bool(reviews?.require_code_owner_reviews) ||
      prRules.some((r) => param(r, 'require_code_owner_review', isBool) === true),
    dismissStaleReviews:
      bool(reviews?.dismiss_stale_reviews) ||
      prRules.some((r) => param(r, 'dismiss_stale_reviews_on_push', isBool) === true),
    requireLastPushApproval:
      bool(reviews?.require_last_push_approval) ||
      prRules.some((r) => param(r, 'require_last_push_approval', isBool) === true),
    requiredStatusChecks: sortedUnique([...classicChecks, ...ruleChecks]),
    strictStatusChecks:
      bool(classic?.required_status_checks?.strict) ||
      checkRules.some((r) => param(r, 'strict_required_status_checks_policy', isBool) === true),
    forcePushesBlocked:
      (classic !== undefined && !bool(classic.allow_force_pushes?.enabled)) || ofType('non_fast_forward').length > 0,
    deletionsBlocked:
      (classic !== undefined && !bool(classic.allow_deletions?.enabled)) || ofType('deletion').length > 0,
    requiredSignatures: bool(classic?.required_signatures?.enabled) || ofType('required_signatures').length > 0,
    requiredLinearHistory:
      bool(classic?.required_linear_history?.enabled) || ofType('required_linear_history').length > 0,
    enforceAdmins: bool(classic?.enforce_admins?.enabled),
  };
  const isProtected = classic !== undefined || rules.length > 0;
  const rulesetIds = [
    ...new Set(rules.map((r) => r.ruleset_id).filter((x): x is number => typeof x === 'number')),
  ].sort((a, b) => a - b);
  return {
    record: { repository, branch, protected: isProtected, classic: classicRecord, rules: ruleRecords, effective },
    attributes: {
      repository,
      branch,
      protected: isProtected,
      classicProtection: classic !== undefined,
      rulesetIds,
      ...effective,
      observedAtFrom: 'response-date',
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Pull requests

const decisive = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);

/**
 * A merged pull request and its reviews. It counts as approved when, at merge time, at least one
 * reviewer other than the author had APPROVED as their latest decisive review (a later
 * CHANGES_REQUESTED or a dismissal withdraws an approval; approvals after the merge do not count).
 */
export function normalizePull(repository: string, defaultBranch: string, pr: Pull, reviews: Review[]): Normalized {
  const mergedAt = pr.merged_at!;
  const mergedMs = Date.parse(mergedAt);
  const author = pr.user?.login ?? null;
  const ordered = reviews
    .filter((r) => r.submitted_at !== undefined)
    .map((r, i) => ({ r, i, at: Date.parse(r.submitted_at!) }))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  const latest = new Map<string, Review>();
  for (const { r, at } of ordered) {
    const who = r.user?.login;
    if (!who || who === author || at > mergedMs || !decisive.has(r.state)) continue;
    latest.set(who, r);
  }
  const approving = [...latest.entries()].filter(([, r]) => r.state === 'APPROVED');
  const approvers = approving.map(([who]) => who).sort();
  const reviewers = sortedUnique(ordered.map(({ r }) => r.user?.login).filter((x): x is string => !!x && x !== author));
  const approved = approvers.length > 0;
  const approvedHeadCommit = approving.some(([, r]) => r.commit_id === pr.head.sha);
  const labels = sortedUnique(pr.labels.map((l) => l.name));
  const record = {
    repository,
    number: pr.number,
    title: pr.title,
    url: pr.html_url,
    author,
    baseBranch: pr.base.ref,
    headBranch: pr.head.ref,
    headSha: pr.head.sha,
    mergeCommitSha: pr.merge_commit_sha,
    createdAt: iso(pr.created_at),
    mergedAt: iso(mergedAt),
    labels,
    approved,
    approvedHeadCommit,
    approvers,
    reviewers,
    reviews: ordered.map(({ r }) => ({
      reviewer: r.user?.login ?? null,
      state: r.state,
      submittedAt: iso(r.submitted_at!),
      commitId: r.commit_id,
      afterMerge: Date.parse(r.submitted_at!) > mergedMs,
    })),
  };
  return {
    record,
    attributes: {
      repository,
      number: pr.number,
      title: pr.title,
      author,
      baseBranch: pr.base.ref,
      toDefaultBranch: pr.base.ref === defaultBranch,
      mergedAt: iso(mergedAt),
      approved,
      approvedHeadCommit,
      approvalCount: approvers.length,
      approvers,
      reviewers,
      labels,
      observedAtFrom: 'merged_at',
    },
  };
}

/** Merged and unapproved counts per merge day, kept between runs so the summary needs no refetch. */
export interface PullTally {
  /** `YYYY-MM-DD` → [merged, merged without approval]. */
  days: Record<string, [number, number]>;
  /** Unapproved merged pull requests: [number, mergedAt]. */
  unapproved: [number, string][];
}

export const maxListedUnapproved = 100;

export function tallyPull(tally: PullTally, number: number, mergedAt: string, approved: boolean): void {
  const day = iso(mergedAt).slice(0, 10);
  const d = (tally.days[day] ??= [0, 0]);
  d[0]++;
  if (!approved) {
    d[1]++;
    tally.unapproved.push([number, iso(mergedAt)]);
    tally.unapproved.sort((a, b) => cmp(b[1], a[1]) || b[0] - a[0]);
    if (tally.unapproved.length > maxListedUnapproved) tally.unapproved.length = maxListedUnapproved;
  }
}

/** Drops days and pull requests that fell out of the window. */
export function pruneTally(tally: PullTally, windowStartMs: number): PullTally {
  const startDay = new Date(windowStartMs).toISOString().slice(0, 10);
  return {
    days: Object.fromEntries(Object.entries(tally.days).filter(([d]) => d >= startDay)),
    unapproved: tally.unapproved.filter(([, at]) => Date.parse(at) >= windowStartMs),
  };
}

/** Per repository: merged pull requests in the window, and how many were merged without approval. */
export function summarizePulls(
  repository: string,
  window: string,
  windowStartMs: number,
  tally: PullTally,
): Normalized {
  const pruned = pruneTally(tally, windowStartMs);
  const days = Object.keys(pruned.days).sort();
  let merged = 0;
  let unapproved = 0;
  for (const d of days) {
    merged += pruned.days[d]![0];
    unapproved += pruned.days[d]![1];
  }
  const unapprovedNumbers = pruned.unapproved.map(([n]) => n).sort((a, b) => a - b);
  const record = {
    repository,
    window,
    merged,
    mergedWithoutApproval: unapproved,
    unapprovedPullRequests: unapprovedNumbers,
    mergesPerDay: Object.fromEntries(days.map((d) => [d, pruned.days[d]![0]])),
  };
  return {
    record,
    attributes: {
      repository,
      window,
      windowStart: new Date(windowStartMs).toISOString().slice(0, 10),
      merged,
      mergedWithoutApproval: unapproved,
      allApproved: unapproved === 0,
      approvalRate: merged === 0 ? 1 : Math.round(((merged - unapproved) / merged) * 1000) / 1000,
      unapprovedPullRequests: unapprovedNumbers.slice(0, 20),
      lastMergeDay: days.at(-1) ?? null,
      observedAtFrom: 'response-date',
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// CODEOWNERS and files

export const codeownersPaths = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

export interface LastCommit {
  sha: string;
  at: string;
  author: string | null;
}

export function codeownersAttributes(
  repository: string,
  filePath: string,
  content: string,
  blobSha: string,
  last: LastCommit | undefined,
): Attributes {
  const rules = content
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l.length > 0)
    .map((l) => l.split(/\s+/));
  const owners = sortedUnique(rules.flatMap(([, ...o]) => o));
  return {
    repository,
    present: true,
    path: filePath,
    ruleCount: rules.length,
    owners,
    hasDefaultOwner: rules.some(
      ([pattern, ...o]) => (pattern === '*' || pattern === '/**' || pattern === '**') && o.length > 0,
    ),
    blobSha,
    lastCommitSha: last?.sha ?? null,
    lastCommitAt: last?.at ?? null,
    observedAtFrom: 'response-date',
  };
}

export function absentCodeowners(repository: string, branch: string): Normalized {
  const record = { repository, branch, present: false, searched: [...codeownersPaths] };
  return {
    record,
    attributes: {
      repository,
      present: false,
      ruleCount: 0,
      owners: [],
      hasDefaultOwner: false,
      observedAtFrom: 'response-date',
    },
  };
}

export function fileAttributes(
  repository: string,
  filePath: string,
  blobSha: string,
  size: number,
  last: LastCommit,
  content: Buffer,
): Attributes {
  const attrs: Attributes = {
    repository,
    path: filePath,
    name: path.posix.basename(filePath),
    directory: path.posix.dirname(filePath) === '.' ? '' : path.posix.dirname(filePath),
    extension: path.posix.extname(filePath).toLowerCase(),
    blobSha,
    size,
    lastCommitSha: last.sha,
    lastCommitAt: last.at,
    lastCommitAuthor: last.author,
    observedAtFrom: 'last-commit',
  };
  const fm = frontMatter(content);
  if (fm.frontMatter) attrs['frontMatter'] = fm.frontMatter;
  if (fm.error) attrs['metadataError'] = fm.error;
  return attrs;
}

/** YAML front matter at the top of a text file, as the folder connector reads it. */
export function frontMatter(content: Buffer): { frontMatter?: Record<string, JsonValue>; error?: string } {
  const head = content
    .subarray(0, 64 * 1024)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const m = /^---\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)\s*(?:\r?\n|$)/.exec(head);
  if (!m) return {};
  try {
    const value: unknown = parseYaml(m[1] ?? '', { maxAliasCount: 10 });
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { error: 'front matter is not a key/value map' };
    return { frontMatter: toJson(value) as Record<string, JsonValue> };
  } catch (err) {
    return { error: `front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
}

// ---------------------------------------------------------------------------------------------------
// Releases, tags, workflow runs

export function normalizeRelease(repository: string, r: Release): Normalized {
  const record = {
    repository,
    id: r.id,
    tag: r.tag_name,
    name: r.name,
    prerelease: r.prerelease,
    createdAt: iso(r.created_at),
    publishedAt: r.published_at ? iso(r.published_at) : null,
    author: r.author?.login ?? null,
    targetCommitish: r.target_commitish,
    assets: r.assets.map((a) => a.name).sort(),
    url: r.html_url,
  };
  const { url: _url, id: _id, ...attrs } = record;
  return {
    record,
    attributes: { ...attrs, releaseId: r.id, observedAtFrom: r.published_at ? 'published_at' : 'created_at' },
  };
}

export function normalizeTags(repository: string, tags: { name: string; commit: { sha: string } }[]): Normalized {
  const list = tags.map((t) => ({ name: t.name, sha: t.commit.sha })).sort((a, b) => cmp(a.name, b.name));
  return {
    record: { repository, tags: list },
    attributes: { repository, count: list.length, observedAtFrom: 'response-date' },
  };
}

export function normalizeRun(
  repository: string,
  workflow: string,
  run: WorkflowRun,
  artifacts: { name: string; size_in_bytes: number; expired: boolean; digest?: string | null | undefined }[],
): Normalized {
  const record = {
    repository,
    workflow,
    workflowPath: run.path,
    name: run.name ?? null,
    title: run.display_title ?? null,
    runId: run.id,
    runNumber: run.run_number,
    runAttempt: run.run_attempt ?? 1,
    event: run.event,
    headBranch: run.head_branch,
    headSha: run.head_sha,
    status: run.status,
    conclusion: run.conclusion,
    createdAt: iso(run.created_at),
    runStartedAt: run.run_started_at ? iso(run.run_started_at) : null,
    completedAt: iso(run.updated_at),
    actor: run.actor?.login ?? null,
    artifacts: artifacts
      .map((a) => ({ name: a.name, sizeInBytes: a.size_in_bytes, expired: a.expired, digest: a.digest ?? null }))
      .sort((a, b) => cmp(a.name, b.name)),
    url: run.html_url,
  };
  // Attributes are the record's facts that rules select on, without the descriptive ones.
  const {
    title: _title,
    status: _status,
    createdAt: _createdAt,
    runStartedAt: _runStartedAt,
    artifacts: _artifacts,
    url: _url,
    ...selectable
  } = record;
  return {
    record,
    attributes: {
      ...selectable,
      success: run.conclusion === 'success',
      artifactNames: sortedUnique(artifacts.map((a) => a.name)),
      observedAtFrom: 'updated_at',
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Dependabot alerts

const severities = ['critical', 'high', 'medium', 'low'] as const;

/** Open alerts of one repository. Ages are attributes (recomputed each run), never part of the bytes. */
export function normalizeDependabot(repository: string, alerts: DependabotAlert[], now: Date): Normalized {
  const list = alerts
    .map((a) => ({
      number: a.number,
      severity: a.security_advisory.severity,
      package: a.dependency.package?.name ?? null,
      ecosystem: a.dependency.package?.ecosystem ?? null,
      manifestPath: a.dependency.manifest_path ?? null,
      scope: a.dependency.scope ?? null,
      ghsaId: a.security_advisory.ghsa_id,
      cveId: a.security_advisory.cve_id,
      summary: a.security_advisory.summary,
      firstPatchedVersion: a.security_vulnerability.first_patched_version?.identifier ?? null,
      createdAt: iso(a.created_at),
      url: a.html_url,
    }))
    .sort((a, b) => a.number - b.number);
  const attributes: Attributes = { repository, enabled: true, openCount: list.length };
  const oldest = (xs: typeof list) => xs.map((a) => a.createdAt).sort()[0] ?? null;
  attributes['oldestOpenCreatedAt'] = oldest(list);
  for (const s of severities) {
    const ofSeverity = list.filter((a) => a.severity === s);
    attributes[s] = ofSeverity.length;
    attributes[`oldest${cap(s)}CreatedAt`] = oldest(ofSeverity);
  }
  attributes['observedAtFrom'] = 'response-date';
  return {
    record: { repository, enabled: true, state: 'open', alerts: list },
    attributes: withAlertAges(attributes, now),
  };
}

export function disabledDependabot(repository: string, reason: string, now: Date): Normalized {
  const attributes: Attributes = {
    repository,
    enabled: false,
    reason,
    openCount: 0,
    oldestOpenCreatedAt: null,
    observedAtFrom: 'response-date',
  };
  for (const s of severities) {
    attributes[s] = 0;
    attributes[`oldest${cap(s)}CreatedAt`] = null;
  }
  return { record: { repository, enabled: false, reason }, attributes: withAlertAges(attributes, now) };
}

/** Whole days since the oldest open alert (overall and per severity), as of `now`. */
export function withAlertAges(attributes: Attributes, now: Date): Attributes {
  const out = { ...attributes };
  const age = (v: JsonValue | undefined) =>
    typeof v === 'string' ? Math.max(0, Math.floor((now.getTime() - Date.parse(v)) / 86_400_000)) : null;
  out['oldestOpenAgeDays'] = age(attributes['oldestOpenCreatedAt']);
  for (const s of severities) out[`oldest${cap(s)}AgeDays`] = age(attributes[`oldest${cap(s)}CreatedAt`]);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Environments

export function normalizeEnvironment(repository: string, env: Environment): Normalized {
  const rules = env.protection_rules ?? [];
  const reviewers = sortedUnique(
    rules
      .filter((r) => r.type === 'required_reviewers')
      .flatMap((r) => r.reviewers ?? [])
      .map((r) => {
        const who = r.reviewer?.login ?? r.reviewer?.slug ?? r.reviewer?.name;
        return who ? `${r.type === 'Team' ? 'team:' : ''}${who}` : undefined;
      })
      .filter((x): x is string => x !== undefined),
  );
  const waitTimer = rules.find((r) => r.type === 'wait_timer')?.wait_timer ?? 0;
  const preventSelfReview = rules.some((r) => r.type === 'required_reviewers' && r.prevent_self_review === true);
  const policy = env.deployment_branch_policy ?? null;
  const branchPolicy =
    policy === null
      ? 'any'
      : policy.protected_branches
        ? 'protected-branches'
        : policy.custom_branch_policies
          ? 'custom'
          : 'any';
  const isProtected =
    reviewers.length > 0 || waitTimer > 0 || policy !== null || rules.some((r) => r.type === 'branch_policy');
  const record = {
    repository,
    name: env.name,
    protected: isProtected,
    requiredReviewers: reviewers,
    preventSelfReview,
    waitTimerMinutes: waitTimer,
    deploymentBranchPolicy: policy
      ? { protectedBranches: policy.protected_branches, customBranchPolicies: policy.custom_branch_policies }
      : null,
    protectionRuleTypes: sortedUnique(rules.map((r) => r.type)),
    createdAt: iso(env.created_at),
    updatedAt: iso(env.updated_at),
  };
  return {
    record,
    attributes: {
      repository,
      environment: env.name,
      protected: isProtected,
      requiredReviewers: reviewers,
      requiredReviewerCount: reviewers.length,
      preventSelfReview,
      waitTimerMinutes: waitTimer,
      branchPolicy,
      updatedAt: iso(env.updated_at),
      observedAtFrom: 'response-date',
    },
  };
}

// ---------------------------------------------------------------------------------------------------

export function iso(s: string): string {
  return new Date(s).toISOString();
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toJson(value: unknown): JsonValue {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v,
    ),
  ) as JsonValue;
}
