export { githubSourceSchema, type GithubSourceConfig, type GithubSourceInput } from './config';
export { createGithubConnector, GithubConnector, githubCollector, type GithubTuning } from './github-connector';
export { githubKinds, type GithubKind } from './kinds';
