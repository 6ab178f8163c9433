import type { LoadedConfig, SourceConfig } from '../config/config';
import { resolveSecret } from '../core/secrets';
import { FolderConnector } from './folder/folder-connector';
import { createGithubConnector } from './github';
import { createJiraConnector } from './jira/jira-connector';
import { ManualConnector } from './manual/manual-connector';
import { createMlflowConnector } from './mlflow';
import { S3ExportLocation } from './s3/export-location';
import { createS3Connector, s3ClientFor } from './s3/s3-connector';
import { createSiemConnector } from './siem';
import type { Connector } from './types';

/**
 * Builds the connector for one configured source: the only place that knows every connector type.
 * Secrets are resolved here, at collection time, and handed straight to the client.
 */
export async function connectorFor(source: SourceConfig, config: Pick<LoadedConfig, 'baseDir'>): Promise<Connector> {
  const secret = (ref: Parameters<typeof resolveSecret>[0], what: string) =>
    resolveSecret(ref, config.baseDir, `sources.${source.id}.${what}`);
  switch (source.type) {
    case 'folder':
      return new FolderConnector({
        sourceId: source.id,
        root: source.path,
        include: source.include,
        exclude: source.exclude,
      });
    case 'manual':
      return new ManualConnector({ sourceId: source.id, root: source.path });
    case 'github':
      return createGithubConnector(source, secret);
    case 'jira':
      return createJiraConnector(source, secret);
    case 'siem': {
      if (!source.s3) return createSiemConnector(source);
      const { bucket, prefix, ...conn } = source.s3;
      const client = await s3ClientFor(conn, (ref, what) => secret(ref, `s3.${what}`));
      return createSiemConnector(source, {
        location: new S3ExportLocation({
          sourceId: source.id,
          client,
          bucket,
          prefix,
          include: source.include,
          exclude: source.exclude,
        }),
      });
    }
    case 'mlflow':
      return createMlflowConnector(source, secret);
    case 's3':
      return createS3Connector(source, secret);
  }
}
