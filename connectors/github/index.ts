import { defineConnector } from '../descriptor';
import { githubSourceSchema } from './config';
import { createGithubConnector } from './github-connector';
import { githubKinds } from './kinds';

/** Repositories on GitHub or GitHub Enterprise Server: branch protection, reviews, releases, workflow runs. */
export const githubConnector = defineConnector({
  type: 'github',
  configSchema: githubSourceSchema,
  kinds: githubKinds,
  // Settings read as of each sweep: only the newest per repository (and branch, environment) decides.
  stateKinds: {
    'branch-protection': ['repository', 'branch'],
    'pull-request-summary': ['repository'],
    codeowners: ['repository'],
    'dependabot-alerts': ['repository'],
    environment: ['repository', 'environment'],
    tags: ['repository'],
  },
  create: (source, { resolveSecret }) => createGithubConnector(source, resolveSecret),
  defaultMappings: { files: ['25-github.yaml'], when: 'configured' },
});
