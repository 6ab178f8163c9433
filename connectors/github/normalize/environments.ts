import type { Environment } from '../api-schemas';
import { iso, sortedUnique, type Normalized } from './normalized';

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
