import { defineConnector, type ConnectorContext } from '../descriptor';
import { S3ExportLocation } from '../s3/export-location';
import { s3ClientFor } from '../s3/s3-connector';
import type { Connector } from '../types';
import { siemSourceSchema, type SiemSourceConfig } from './config';
import { siemKinds } from './kinds';
import { createSiemConnector } from './siem-connector';

/** Exported event logs of AI systems (Splunk, Elastic, CEF, OCSF, JSON lines) in a folder or an S3 prefix. */
export const siemConnector = defineConnector({
  type: 'siem',
  configSchema: siemSourceSchema,
  kinds: siemKinds,
  // The summaries describe the source's retained logs as of its last run: one subject per source.
  stateKinds: { 'event-counts': [], 'log-continuity': [], retention: [], 'incident-list': [] },
  create: createSiem,
  defaultMappings: { files: ['30-siem.yaml'], when: 'configured' },
});

/** A folder location is built by the connector itself; an S3 prefix needs a client with the source's secrets. */
async function createSiem(source: SiemSourceConfig, { resolveSecret }: ConnectorContext): Promise<Connector> {
  if (!source.s3) return createSiemConnector(source);
  const { bucket, prefix, ...conn } = source.s3;
  const client = await s3ClientFor(conn, (ref, what) => resolveSecret(ref, `s3.${what}`));
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
