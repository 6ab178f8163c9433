import path from 'node:path';
import { z } from 'zod';
import { InputError, YamlSource } from '../core/yaml-source';
import { cronProblem } from './cron';
import { workerSettingsSchema } from './worker-settings';
import { durationHint, parseDuration } from '../core/duration';
import { sourceConfigSchemas, sourceTypes } from '../connectors';
import { sourceIdSchema } from '../connectors/source-id';
import { alertsConfigSchema } from '../alerts/config';
import { redactionConfigSchema } from '../evidence/redaction';
import { secretRefSchema } from '../core/secrets';
import { bucketNameSchema, s3EndpointShape, s3StaticKeysSchema } from '../core/s3-settings';
import { witnessConfigSchema } from '../evidence/witness/config';
import { temporalSecurityFields } from './temporal-schema';
import { resolveTemporalSettings, type TemporalConnectionSettings } from './temporal-settings';
import { pkcs11SigningSchema, signingKeyChoiceMessage } from '../evidence/signing-config';
import { consoleConfigSchema } from './console-schema';
import { auditsConfigSchema } from './audits';
import { aiSystemsConfigSchema } from './ai-systems';
import { cloudStoreOverride } from './cloud-store-override';
import { azureStoreSchema, gcsStoreSchema, type AzureStoreConfig, type GcsStoreConfig } from './cloud-store-schema';

/**
 * evidence-hub.yaml. Relative paths are resolved against the config file's folder, so a config and the
 * folders it names can move together.
 */
/** Schedule ids follow the rule of source ids: both end up in workflow ids. */
const idSchema = sourceIdSchema;

// Each connector owns its config schema (connectors/<type>/config.ts); the list is connectors/index.ts.
const sourceSchema = z.discriminatedUnion('type', sourceConfigSchemas, {
  error: (issue) =>
    issue.code === 'invalid_union' ? `unknown source type; expected one of: ${sourceTypes.join(', ')}` : undefined,
});

const scheduleSchema = z.strictObject({
  id: idSchema,
  cron: z
    .string()
    .superRefine((expr, ctx) => {
      const problem = cronProblem(expr);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  every: z
    .string()
    .regex(/^\d+(m|h|d)$/, 'expected an interval such as 30m, 6h or 1d')
    .optional(),
  timezone: z
    .string()
    .default('UTC')
    .refine((tz) => validTimeZone(tz), { message: 'unknown time zone; use an IANA name such as Europe/Berlin or UTC' }),
  /** Random delay added to each run, so many schedules do not hit the same APIs at once. */
  jitter: z
    .string()
    .regex(/^\d+(s|m|h)$/, 'expected a duration such as 30s, 5m or 1h')
    .optional(),
  /** What to do when a run is due while the previous one still runs. */
  overlap: z.enum(['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all']).default('skip'),
  /** How far back missed runs are caught up after the server was down. */
  catchupWindow: z
    .string()
    .regex(/^\d+(m|h|d)$/, 'expected a duration such as 10m, 1h or 1d')
    .default('1d'),
  sources: z.array(idSchema).min(1).optional(),
  paused: z.boolean().default(false),
});

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const fsStoreSchema = z.strictObject({ path: z.string().min(1) });

const s3StoreSchema = z.strictObject({
  s3: z.strictObject({
    bucket: bucketNameSchema,
    prefix: z.string().default(''),
    ...s3EndpointShape,
    credentials: s3StaticKeysSchema.optional(),
    /** Retention for every evidence object; the bucket must have Object Lock enabled. */
    objectLock: z
      .strictObject({
        mode: z.enum(['COMPLIANCE', 'GOVERNANCE']).default('COMPLIANCE'),
        days: z.number().int().positive(),
      })
      .optional(),
  }),
});

export type StoreConfig =
  z.infer<typeof fsStoreSchema> | z.infer<typeof s3StoreSchema> | AzureStoreConfig | GcsStoreConfig;

export const configSchema = z
  .strictObject({
    version: z.literal(1),
    store: z
      .union([fsStoreSchema, s3StoreSchema, azureStoreSchema, gcsStoreSchema], {
        error:
          'expected { path: folder }, { s3: { bucket, ... } }, { azure: { accountUrl, container, auth, ... } } or { gcs: { bucket, ... } }',
      })
      .default({ path: './evidence-store' }),
    signing: z
      .strictObject({
        /** ed25519 private key (PKCS#8 PEM). Created by `evidence-hub keys init`, never by a worker. */
        key: secretRefSchema.optional(),
        /** Or the key on a PKCS#11 token (HSM, KMS bridge): the private key stays off the worker's disk. */
        pkcs11: pkcs11SigningSchema.optional(),
        /**
         * Fingerprints (`sha256:<64 hex>`, SHA-256 of the raw public key) of the keys this deployment trusts,
         * pinned outside the store: `verify` checks authenticity against them, a worker refuses to seal with
         * a key they do not trust (directly or through `keys rotate` transitions).
         */
        trustedKeys: z
          .array(
            z
              .string()
              .regex(
                /^(?:sha256:)?[0-9a-fA-F]{64}$/,
                'expected a key fingerprint sha256:<64 hex> (evidence-hub keys show)',
              )
              .overwrite((s) => s.replace(/^sha256:/, '').toLowerCase()),
          )
          .optional(),
      })
      .refine((s) => (s.key === undefined) !== (s.pkcs11 === undefined), signingKeyChoiceMessage)
      .default({ key: { file: './.evidence-hub/signing-key.pem' } }),
    temporal: z
      .strictObject({
        address: z.string().default('localhost:7233'),
        namespace: z.string().default('default'),
        taskQueue: z.string().default('evidence-hub'),
        /** Retries of a failing source before the sweep records it as failed. */
        collectRetry: z
          .strictObject({
            maximumAttempts: z.number().int().min(1).max(100).optional(),
            initialInterval: z
              .string()
              .regex(/^\d+(ms|s|m)$/, 'expected a duration such as 500ms, 2s or 1m')
              .optional(),
          })
          .optional(),
        /** Sources collected at once in a sweep. */
        concurrency: z.number().int().min(1).max(64).default(4),
        /** TLS, mTLS and API key (config/temporal-schema.ts; layering in config/temporal-settings.ts). */
        ...temporalSecurityFields,
      })
      .default({
        address: 'localhost:7233',
        namespace: 'default',
        taskQueue: 'evidence-hub',
        concurrency: 4,
        tlsReloadInterval: '30s',
      }),
    /** The worker process: metrics/health address and shutdown grace (config/worker-settings.ts). */
    worker: workerSettingsSchema.prefault({}),
    /** Slack alerts on status transitions (activities/alerts, docs/alerts.md). */
    alerts: alertsConfigSchema.optional(),
    /** Secrets removed from evidence before it is hashed and stored (evidence/redaction/). */
    redaction: redactionConfigSchema.prefault({}),
    retention: z
      .strictObject({
        /** Nothing younger than this may be pruned: one certification cycle (3 years) by default. */
        lookBack: z
          .string()
          .refine((d) => parseDuration(d) !== undefined, { message: `not a duration; ${durationHint}` })
          .default('1095d'),
      })
      .default({ lookBack: '1095d' }),
    /**
     * Where each signed checkpoint is witnessed, so truncating or rewriting the chain shows: an RFC 3161 TSA
     * and/or an S3 bucket with Object Lock in compliance mode (evidence/witness/, docs/bundle-format.md).
     */
    witness: witnessConfigSchema.optional(),
    /** Sign-in to the web console, `evidence-hub serve` (config/console-schema.ts). */
    console: consoleConfigSchema.optional(),
    /**
     * The integrity monitor (workflows/integrity.ts): a Temporal Schedule re-verifies the store incrementally
     * `every` (from the last verified bundle) and re-hashes every blob `fullEvery`; failures go to Slack.
     */
    integrity: z
      .strictObject({
        enabled: z.boolean().default(true),
        every: z
          .string()
          .regex(/^\d+(m|h|d)$/, 'expected an interval such as 12h or 1d')
          .default('1d'),
        fullEvery: z
          .string()
          .regex(/^\d+(m|h|d)$/, 'expected an interval such as 7d')
          .default('7d'),
      })
      .prefault({}),
    /** Mapping files in order; later files override rules with the same id. `default` is the shipped pack. */
    mappings: z.array(z.string().min(1)).default(['default']),
    /** Statement of Applicability file (controls excluded, with justification). */
    soa: z.string().min(1).optional(),
    /** The certification audit calendar (config/audits.ts): readiness forecast, export --audit, digests. */
    audits: auditsConfigSchema.optional(),
    /** The AI system inventory (config/ai-systems.ts): `per: aiSystem` rules, `status --system`, `--by-system`. */
    aiSystems: aiSystemsConfigSchema.optional(),
    sources: z.array(sourceSchema).min(1, 'declare at least one source'),
    schedules: z.array(scheduleSchema).default([]),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.sources.forEach((s, i) => {
      if (seen.has(s.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'id'],
          message: `duplicate source id "${s.id}" (also sources[${seen.get(s.id)}])`,
        });
      }
      seen.set(s.id, i);
    });
    cfg.schedules.forEach((sch, i) => {
      if (cfg.integrity.enabled && (sch.id === 'integrity' || sch.id === 'integrity-full')) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', i, 'id'],
          message: `"${sch.id}" is the integrity monitor's schedule (integrity: in the config); choose another id`,
        });
      }
      if ((sch.cron === undefined) === (sch.every === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['schedules', i], message: 'set exactly one of "cron" or "every"' });
      }
      sch.sources?.forEach((id, j) => {
        if (!seen.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['schedules', i, 'sources', j],
            message: `unknown source "${id}"; declared sources: ${[...seen.keys()].join(', ')}`,
          });
        }
      });
    });
  });

export type ConfigFile = z.infer<typeof configSchema>;
export type SourceConfig = ConfigFile['sources'][number];
export type ScheduleConfig = ConfigFile['schedules'][number];

export interface LoadedConfig extends ConfigFile {
  /** How to reach Temporal: this file's `temporal:` layered under Temporal's own env and TOML profile. */
  temporalConnection: TemporalConnectionSettings;
  /** Absolute path of the file this came from. */
  file: string;
  /** Folder that relative paths in the file are resolved against. */
  baseDir: string;
}

export interface ConfigOverrides {
  /**
   * `--store DIR` or `--store s3://bucket/prefix`: replaces the configured store. A folder is relative
   * to the working directory (as typed on a command line); an S3 URL keeps the configured S3 settings
   * (endpoint, credentials, lock) and changes bucket and prefix.
   */
  store?: string;
  /**
   * Sources added to the file's (already validated, e.g. `demo --with-mlflow`): they count as configured, so
   * their mapping packs load. An id the file already uses is refused.
   */
  extraSources?: readonly SourceConfig[];
}

export async function loadConfig(file: string, overrides: ConfigOverrides = {}): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  const src = await YamlSource.load(abs);
  if (src.toJS() == null) {
    throw new InputError([
      {
        file: abs,
        line: 1,
        col: 1,
        path: '',
        message: 'the file is empty',
        hint: 'start from examples/demo/evidence-hub.yaml',
      },
    ]);
  }
  const parsed = src.validate(configSchema, (issue) => {
    if (issue.path.at(-1) === 'version') return 'add "version: 1" at the top';
    if (issue.path.includes('key') && issue.path.includes('signing'))
      return 'use key: { file: path/to/key.pem } or key: { env: EVIDENCE_HUB_SIGNING_KEY }';
    return undefined;
  });
  const baseDir = path.dirname(abs);
  // Production points the worker at a cluster through Temporal's environment or profile, without editing the file.
  const temporalConnection = resolveTemporalSettings(parsed.temporal, baseDir);
  return {
    ...parsed,
    store: resolveStore(parsed.store, overrides.store, baseDir, abs),
    temporal: { ...parsed.temporal, address: temporalConnection.address, namespace: temporalConnection.namespace },
    temporalConnection,
    sources: [...parsed.sources, ...extraSources(parsed.sources, overrides.extraSources ?? [], abs)].map((s) =>
      'path' in s && typeof s.path === 'string' ? { ...s, path: path.resolve(baseDir, s.path) } : s,
    ),
    file: abs,
    baseDir,
  };
}

function extraSources(declared: readonly SourceConfig[], extra: readonly SourceConfig[], file: string) {
  const taken = extra.find((e) => declared.some((d) => d.id === e.id));
  if (taken)
    throw new InputError([
      { file, line: 0, col: 0, path: 'sources', message: `source id "${taken.id}" is already declared in the file` },
    ]);
  return extra;
}

function resolveStore(
  configured: StoreConfig,
  override: string | undefined,
  baseDir: string,
  file: string,
): StoreConfig {
  if (override?.startsWith('s3://')) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(override);
    if (!m)
      throw new InputError([
        { file, line: 0, col: 0, path: 'store', message: `--store ${override} is not an s3://bucket/prefix URL` },
      ]);
    const base = 's3' in configured ? configured.s3 : { region: 'us-east-1', forcePathStyle: false };
    return { s3: { ...base, bucket: m[1]!, prefix: m[2] ?? '' } };
  }
  const cloud = cloudStoreOverride(configured, override, file);
  if (cloud) return cloud;
  if (override) return { path: path.resolve(override) };
  return 'path' in configured ? { path: path.resolve(baseDir, configured.path) } : configured;
}
