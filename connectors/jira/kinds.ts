/**
 * Artifact kinds the Jira connector produces. Every configured query names one of the issue kinds; the
 * kind is what mapping rules select on (`select: { source: jira, kind: incident }`).
 * `attachment` is the kind of a downloaded attachment, a separate artifact from its issue.
 */
export const jiraIssueKinds = [
  'risk',
  'impact-assessment',
  'incident',
  'change-request',
  'requirement',
  'concern',
  'vendor-review',
  'corrective-action',
] as const;

export const jiraKinds = [...jiraIssueKinds, 'attachment'] as const;

export type JiraIssueKind = (typeof jiraIssueKinds)[number];
export type JiraKind = (typeof jiraKinds)[number];
