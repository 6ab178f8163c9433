import { codeUnitOrder } from '../../../core/order';
import type { Pull, Review } from '../api-schemas';
import { iso, sortedUnique, type Normalized } from './normalized';

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
    tally.unapproved.sort((a, b) => codeUnitOrder(b[1], a[1]) || b[0] - a[0]);
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
