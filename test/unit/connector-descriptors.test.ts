import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CredentialsError } from '../../core/errors';
import { connectorDescriptors, mappingVocabulary, sourceConfigSchemas } from '../../connectors';
import { connectorFor } from '../../connectors/registry';
import { configSchema } from '../../config/config';
import { unclaimedPackFiles } from '../../mappings/load';

const unset = 'EH_TEST_UNSET_SECRET';

describe('connector descriptors', () => {
  afterEach(() => {
    delete process.env[unset];
  });

  it('list each source type once, in the order the config union and the vocabulary use', () => {
    const types = connectorDescriptors.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toEqual([
      'folder',
      'manual',
      'github',
      'jira',
      'siem',
      'mlflow',
      's3',
      'sagemaker',
      'huggingface',
      'azure-blob',
      'gcs',
    ]);
    expect(Object.keys(mappingVocabulary())).toEqual(types);
    expect(sourceConfigSchemas).toHaveLength(types.length);
  });

  it('claim every file of the shipped mapping pack, each by one connector', () => {
    expect(unclaimedPackFiles(mappingVocabulary())).toEqual([]);
    const files = connectorDescriptors.flatMap((d) => d.defaultMappings.files);
    expect(new Set(files).size).toBe(files.length);
  });

  it('the config file accepts a source of every type through its descriptor schema', () => {
    const sourcesSchema = (configSchema.shape as { sources: z.ZodType }).sources;
    expect(sourcesSchema.safeParse([{ id: 'Bad Id', type: 'folder', path: 'x' }]).success).toBe(false);
    expect(sourcesSchema.safeParse([{ id: 'docs', type: 'folder', path: 'x' }]).success).toBe(true);
  });

  it('a secret label names the source once: sources.<id>.<field>', async () => {
    const github = { id: 'gh', type: 'github', auth: { token: { env: unset } }, repositories: ['acme/x'] };
    const err = await connectorFor(configSchema.parse({ version: 1, sources: [github] }).sources[0]!, {
      baseDir: '/',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as Error).message).toBe(
      `sources.gh.auth.token: environment variable ${unset} is not set (export it before starting evidence-hub)`,
    );

    const jira = {
      id: 'tickets',
      type: 'jira',
      url: 'https://example.atlassian.net',
      deployment: 'cloud',
      auth: { email: 'bot@example.com', apiToken: { env: unset } },
      queries: [{ name: 'risks', kind: 'risk', jql: 'project = RISK' }],
    };
    const jiraErr = await connectorFor(configSchema.parse({ version: 1, sources: [jira] }).sources[0]!, {
      baseDir: '/',
    }).catch((e: unknown) => e);
    expect((jiraErr as Error).message).toMatch(/^sources\.tickets\.auth\.apiToken: environment variable /);

    const mlflow = {
      id: 'registry',
      type: 'mlflow',
      url: 'https://mlflow.example.com',
      auth: { type: 'bearer', token: { env: unset } },
      metrics: { validation: ['accuracy'] },
    };
    const mlflowErr = await connectorFor(configSchema.parse({ version: 1, sources: [mlflow] }).sources[0]!, {
      baseDir: '/',
    }).catch((e: unknown) => e);
    expect((mlflowErr as Error).message).toMatch(/^sources\.registry\.auth\.token: environment variable /);

    const siem = {
      id: 'logs',
      type: 'siem',
      s3: { bucket: 'exports', credentials: { accessKeyId: { env: unset }, secretAccessKey: { env: unset } } },
    };
    const siemErr = await connectorFor(configSchema.parse({ version: 1, sources: [siem] }).sources[0]!, {
      baseDir: '/',
    }).catch((e: unknown) => e);
    expect((siemErr as Error).message).toMatch(/^sources\.logs\.s3\.credentials\.accessKeyId: environment variable /);
  });
});
