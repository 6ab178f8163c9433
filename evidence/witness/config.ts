import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { resolveSecret } from '../../core/secrets';
import { bucketNameSchema, s3EndpointShape, s3StaticKeysSchema } from '../../core/s3-settings';
import { S3LockWitness } from './s3-lock';

/**
 * `witness:` in evidence-hub.yaml: where each signed checkpoint is sent so that cutting bundles off the
 * chain, or rewriting it, shows (docs/bundle-format.md, "Witnesses").
 */
export const witnessConfigSchema = z.strictObject({
  /** An RFC 3161 time-stamping authority; `caFile` (its CA certificate) lets verify check the tokens. */
  tsa: z
    .strictObject({
      url: z.url(),
      caFile: z.string().min(1).optional(),
      timeoutMs: z.number().int().positive().max(300_000).default(20_000),
    })
    .optional(),
  /** An S3 bucket with Object Lock (compliance mode) that gets a write-once copy of every checkpoint. */
  s3: z
    .strictObject({
      bucket: bucketNameSchema,
      prefix: z.string().default(''),
      ...s3EndpointShape,
      /** Use other keys than the store's: whoever holds the store's keys should not also hold the witness's. */
      credentials: s3StaticKeysSchema.optional(),
      /** Compliance-mode retention of each witnessed checkpoint, in days. */
      retainDays: z.number().int().positive(),
    })
    .optional(),
});

export type WitnessConfig = z.infer<typeof witnessConfigSchema>;

/** The witnesses a config names, built (credentials resolved) once per process. */
export interface Witnesses {
  tsa?: { url: string; caFile?: string | undefined; timeoutMs: number } | undefined;
  s3?: S3LockWitness | undefined;
}

export async function buildWitnesses(config: WitnessConfig | undefined, baseDir: string): Promise<Witnesses> {
  if (!config) return {};
  const out: Witnesses = {};
  if (config.tsa) {
    out.tsa = {
      url: config.tsa.url,
      timeoutMs: config.tsa.timeoutMs,
      ...(config.tsa.caFile ? { caFile: path.resolve(baseDir, config.tsa.caFile) } : {}),
    };
  }
  if (config.s3) {
    const s3 = config.s3;
    const credentials = s3.credentials
      ? {
          accessKeyId: await resolveSecret(s3.credentials.accessKeyId, baseDir, 'witness.s3.credentials.accessKeyId'),
          secretAccessKey: await resolveSecret(
            s3.credentials.secretAccessKey,
            baseDir,
            'witness.s3.credentials.secretAccessKey',
          ),
        }
      : undefined;
    const client = new S3Client({
      region: s3.region,
      forcePathStyle: s3.forcePathStyle,
      // A witness that is down must not hold a seal activity for minutes: few, short attempts.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 },
      ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    });
    out.s3 = new S3LockWitness({ client, bucket: s3.bucket, prefix: s3.prefix, retainDays: s3.retainDays });
  }
  return out;
}

export class WitnessOptionError extends Error {
  override readonly name = 'WitnessOptionError';
}

/**
 * Which witnesses `verify` consults: every one the config names, plus those asked for with `--witness`.
 * The TSA check needs no config (the tokens are in the store); `--tsa-ca` or `witness.tsa.caFile` adds the
 * signature check. The S3 witness needs its bucket settings from the config.
 */
export async function witnessChecks(
  config: WitnessConfig | undefined,
  baseDir: string,
  requested: readonly string[] = [],
  tsaCa?: string,
): Promise<{ tsa?: { caFile?: string | undefined }; s3?: S3LockWitness } | undefined> {
  const unknown = requested.filter((w) => w !== 'tsa' && w !== 's3');
  if (unknown.length > 0) throw new WitnessOptionError(`--witness ${unknown.join(', ')}: expected tsa or s3`);
  if (requested.includes('s3') && !config?.s3)
    throw new WitnessOptionError('--witness s3 needs witness.s3 (bucket, endpoint, credentials) in the config');
  const built = await buildWitnesses(config, baseDir);
  const out: { tsa?: { caFile?: string | undefined }; s3?: S3LockWitness } = {};
  if (built.tsa || requested.includes('tsa') || tsaCa) {
    const caFile = tsaCa ? path.resolve(tsaCa) : built.tsa?.caFile;
    out.tsa = caFile ? { caFile } : {};
  }
  if (built.s3) out.s3 = built.s3;
  return out.tsa || out.s3 ? out : undefined;
}
