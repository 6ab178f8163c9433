import { codeUnitOrder } from '../../../core/order';
import { toJson, type JsonValue } from '../../../core/json';
import type { ActorLists, BranchProtection, BranchRule } from '../api-schemas';
import { bool, sortedUnique, type Normalized } from './normalized';

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
        pushRestrictions: actors(classic.restrictions),
        reviewDismissalRestrictions: actors(reviews?.dismissal_restrictions),
        pullRequestBypassAllowances: actors(reviews?.bypass_pull_request_allowances),
      }
    : null;
  const push = actors(classic?.restrictions);
  const dismissal = actors(reviews?.dismissal_restrictions);

  const ruleRecords = rules
    .map((r) => ({
      type: r.type,
      rulesetId: r.ruleset_id ?? null,
      rulesetSource: r.ruleset_source ?? null,
      rulesetSourceType: r.ruleset_source_type ?? null,
      parameters: toJson(r.parameters ?? {}),
    }))
    .sort((a, b) => codeUnitOrder(a.type, b.type) || (a.rulesetId ?? 0) - (b.rulesetId ?? 0));
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
    // Classic push restrictions, or a ruleset `update` rule (only its bypass actors may push).
    pushRestricted: push !== null || ofType('update').length > 0,
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
      // Who may still push, and who may dismiss reviews, under classic protection (empty: nobody listed).
      pushAllowedUsers: push?.users ?? [],
      pushAllowedTeams: push?.teams ?? [],
      pushAllowedApps: push?.apps ?? [],
      reviewDismissalRestricted: dismissal !== null,
      reviewDismissalUsers: dismissal?.users ?? [],
      reviewDismissalTeams: dismissal?.teams ?? [],
      reviewDismissalApps: dismissal?.apps ?? [],
      observedAtFrom: 'response-date',
    },
  };
}

/**
 * The users (logins), teams (slugs) and apps (slugs, else names) of a restriction; null when the
 * restriction is off (GitHub omits the object, or sends null for `restrictions`).
 */
function actors(list: ActorLists | null | undefined): { users: string[]; teams: string[]; apps: string[] } | null {
  if (list === null || list === undefined) return null;
  return {
    users: sortedUnique((list.users ?? []).flatMap((u) => (u.login !== undefined ? [u.login] : []))),
    teams: sortedUnique((list.teams ?? []).map((t) => t.slug)),
    apps: sortedUnique((list.apps ?? []).flatMap((a) => a?.slug ?? a?.name ?? [])),
  };
}
