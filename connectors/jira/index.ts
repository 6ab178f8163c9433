import { defineConnector } from '../descriptor';
import { jiraSourceSchema } from './config';
import { createJiraConnector } from './jira-connector';
import { jiraKinds } from './kinds';

/** Jira Cloud or Data Center: risks, impact assessments, incidents and change requests found by JQL. */
export const jiraConnector = defineConnector({
  type: 'jira',
  configSchema: jiraSourceSchema,
  kinds: jiraKinds,
  create: (source, { resolveSecret }) => createJiraConnector(source, resolveSecret),
  defaultMappings: { files: ['20-jira.yaml'], when: 'configured' },
});
