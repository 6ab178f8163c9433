import { defineConnector } from '../descriptor';
import { s3SourceSchema } from './config';
import { s3Kinds } from './kinds';
import { createS3Connector } from './s3-connector';

/** Objects in S3 buckets (or S3-compatible stores) under configured prefixes, with their versions. */
export const s3Connector = defineConnector({
  type: 's3',
  configSchema: s3SourceSchema,
  kinds: s3Kinds,
  create: (source, { resolveSecret }) => createS3Connector(source, resolveSecret),
  defaultMappings: { files: ['50-s3.yaml'], when: 'configured' },
});
