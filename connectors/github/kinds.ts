/**
 * Artifact kinds the GitHub connector produces (the descriptor's `kinds`, connectors/github/index.ts).
 * Attributes of each kind are documented in connectors/github/README.md.
 */
export const githubKinds = [
  'branch-protection',
  'pull-request',
  'pull-request-summary',
  'codeowners',
  'release',
  'tags',
  'workflow-run',
  'dependabot-alerts',
  'file',
  'environment',
] as const;

export type GithubKind = (typeof githubKinds)[number];
