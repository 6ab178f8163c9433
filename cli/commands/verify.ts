import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { FilesystemStore } from '../../evidence/fs-store';
import { existsSync } from 'node:fs';
import { parseS3Url } from '../../evidence/s3-store';
import { verifyStore, type VerifyOptions, type VerifyReport } from '../../evidence/verify';
import { loadConfig, type StoreConfig } from '../../config/config';
import { readTrustArgument, TrustInputError } from '../../evidence/trust/fingerprint';
import { openStore } from '../../worker/hub';
import { witnessChecks, WitnessOptionError } from '../../evidence/witness/config';
import { cloudStoreFor, isCloudStoreUrl } from './verify-cloud';
import { defaultConfig, exitCodes, parseDateArg, UsageError, type CommandContext } from '../command-kit';

/**
 * `target` is a store folder, one manifest file inside a store's manifests/ folder, or an
 * s3://bucket/prefix URL (S3 settings such as the endpoint come from the config, when there is one), or an
 * azure://container/prefix or gs://bucket/prefix URL (verify-cloud.ts).
 */
export async function verifyTarget(
  target: string,
  options: VerifyOptions & { config?: string; witness?: string[]; tsaCa?: string; s3?: S3Flags } = {},
): Promise<VerifyReport> {
  const config =
    options.config && existsSync(options.config)
      ? await loadConfig(options.config, target.startsWith('s3://') || isCloudStoreUrl(target) ? { store: target } : {})
      : undefined;
  // Pins: --trust values plus the config's signing.trustedKeys (held outside the store, unlike keys/).
  options = { ...options, trust: [...(options.trust ?? []), ...(config?.signing.trustedKeys ?? [])] };
  // Witnesses: the configured ones plus --witness tsa|s3 (evidence/witness/verify-witness.ts).
  try {
    const witnesses = await witnessChecks(
      config?.witness,
      config?.baseDir ?? process.cwd(),
      options.witness,
      options.tsaCa,
    );
    if (witnesses) options = { ...options, witnesses };
  } catch (err) {
    if (err instanceof WitnessOptionError) throw new UsageError(err.message);
    throw err;
  }
  if (isCloudStoreUrl(target)) {
    const store = await openStore(
      cloudStoreFor(target, config?.store, options.s3?.endpoint),
      config?.baseDir ?? process.cwd(),
    );
    return verifyStore(store, options);
  }
  if (target.startsWith('s3://')) {
    const store = await openStore(s3StoreFor(target, config?.store, options.s3), config?.baseDir ?? process.cwd());
    return verifyStore(store, options);
  }
  const abs = path.resolve(target);
  let st;
  try {
    st = await stat(abs);
  } catch {
    // A missing store is a failed check, like an empty one: `verify` must never pass on nothing.
    return missingStore(abs, options);
  }
  if (st.isDirectory()) return verifyStore(await FilesystemStore.openExisting(abs), options);
  const m = /^(\d{12})\.json$/.exec(path.basename(abs));
  if (!m || path.basename(path.dirname(abs)) !== 'manifests') {
    throw new UsageError(`${abs} is not a bundle manifest (expected <store>/manifests/<12 digits>.json)`);
  }
  const store = await FilesystemStore.openExisting(path.dirname(path.dirname(abs)));
  return verifyStore(store, { ...options, sequences: [Number(m[1])] });
}

function missingStore(location: string, options: VerifyOptions): VerifyReport {
  const problems: VerifyReport['problems'] = options.allowEmpty
    ? []
    : [{ code: 'empty-store', message: `${location} does not exist: no store there (a wrong path?)` }];
  const trustedKeys = [...new Set(options.trust ?? [])];
  return {
    ok: problems.length === 0,
    authenticated: false,
    trustedKeys,
    store: location,
    bundlesChecked: 0,
    blobsChecked: 0,
    blobsPruned: 0,
    problems,
  };
}

/** Printed whenever no trust anchor was given: integrity was checked, authenticity was not (exit code 3). */
export const notAuthenticatedWarning = [
  '!! AUTHENTICITY NOT CHECKED: no trusted key was given (--trust FINGERPRINT|FILE or signing.trustedKeys).',
  '!! Hashes, chain and signatures are consistent, but anyone who can write to the store could have replaced',
  '!! the keys and re-signed everything. Pin the fingerprint from `evidence-hub keys show` (obtained out of band).',
].join('\n');

export function renderVerify(report: VerifyReport): string {
  const head = `${report.ok ? 'OK' : 'FAILED'}: ${report.store}: ${report.bundlesChecked} bundle(s), ${report.blobsChecked} blob(s) checked`;
  const trust =
    report.trustedKeys.length > 0
      ? [
          `  trusted keys: ${report.trustedKeys.map((f) => `sha256:${f}`).join(', ')}${report.authenticated ? ' (authenticated)' : ''}`,
        ]
      : report.ok
        ? [notAuthenticatedWarning]
        : ['  (authenticity was not checked either: no trusted key given, --trust FINGERPRINT|FILE)'];
  const segment = report.segment
    ? [
        `  chain segment from bundle #${report.segment.fromSequence}, anchored on ${report.segment.previousDigest ?? 'the chain start'} (export.json)`,
      ]
    : [];
  const problems = report.problems.map((p) => `  ${p.code}${p.level ? ` (${p.level})` : ''}: ${p.message}`);
  return [head, ...segment, ...problems, ...trust].join('\n');
}

/** --endpoint, --region, --path-style: reach an S3-compatible store without a config file. */
export interface S3Flags {
  endpoint?: string | undefined;
  region?: string | undefined;
  forcePathStyle?: boolean | undefined;
}

/**
 * The store to verify at an s3:// URL: the config's S3 settings when it has them, else the URL alone; the
 * flags override either. Credentials come from the config or, without one, the standard AWS chain
 * (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a role).
 */
function s3StoreFor(target: string, configured: StoreConfig | undefined, flags: S3Flags = {}): StoreConfig {
  const base =
    configured && 's3' in configured
      ? configured.s3
      : {
          ...parseS3(target),
          region: process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
          forcePathStyle: false,
        };
  if (flags.endpoint !== undefined && !(/^https?:\/\//.test(flags.endpoint) && URL.canParse(flags.endpoint))) {
    throw new UsageError(`--endpoint ${flags.endpoint}: not a URL (e.g. https://minio.internal:9000)`);
  }
  return {
    s3: {
      ...base,
      ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}),
      ...(flags.region !== undefined ? { region: flags.region } : {}),
      ...(flags.forcePathStyle ? { forcePathStyle: true } : {}),
    },
  };
}

function parseS3(url: string): { bucket: string; prefix: string } {
  const parsed = parseS3Url(url);
  if (!parsed) throw new UsageError(`${url} is not an s3://bucket/prefix URL`);
  return parsed;
}

/**
 * `evidence-hub verify`: exit code 0 when every check passed against a trust anchor, 1 when any check fails
 * (including an empty or missing store unless --allow-empty), 2 for bad input, 3 when everything is
 * consistent but no trust anchor was given (integrity checked, authenticity not).
 */
export function registerVerify(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('verify')
    .description('verify a store or one bundle: blob hashes, Merkle roots, signatures, chain')
    .argument(
      '<path>',
      'store folder, <store>/manifests/<sequence>.json, s3://bucket/prefix, azure://container/prefix or gs://bucket/prefix',
    )
    .option('--from <date>', 'only bundles sealed on or after this date')
    .option('--to <date>', 'only bundles sealed on or before this date (a date means the end of that day)')
    .addOption(
      new Option('-c, --config <file>', 'config for S3 settings (endpoint, credentials)').default(defaultConfig),
    )
    .option(
      '--trust <fingerprint|file>',
      'trusted key: sha256:<fingerprint>, a PEM public key file, or a file of fingerprints (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--allow-empty', 'an empty store (no bundle) is not a failure')
    .option(
      '--checkpoint <file>',
      'a checkpoint kept from an earlier pack or a witness (<seq>.txt, its .sig beside it); the chain must reach it (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--witness <tsa|s3>',
      'also compare the chain with this witness (configured witnesses are always checked; repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--tsa-ca <file>', "the TSA's CA certificate: check each RFC 3161 token with `openssl ts -verify`")
    .option(
      '--endpoint <url>',
      'S3-compatible endpoint for an s3:// store (MinIO, Ceph, ...), the GCS API endpoint for gs://, the account URL for azure://; no config needed',
    )
    .option('--region <region>', 'region of an s3:// store (default: AWS_REGION, else us-east-1)')
    .option('--path-style', 'path-style S3 addressing (most S3-compatible services need it)')
    .option('--json', 'print the report as JSON')
    .action(async (target: string, o) => {
      const trust: string[] = [];
      for (const arg of o.trust as string[]) {
        try {
          trust.push(...(await readTrustArgument(arg)));
        } catch (err) {
          if (err instanceof TrustInputError) throw new UsageError(err.message);
          throw err;
        }
      }
      const report = await verifyTarget(target, {
        trust,
        ...(o.allowEmpty ? { allowEmpty: true } : {}),
        checkpoints: o.checkpoint as string[],
        witness: o.witness as string[],
        ...(o.tsaCa ? { tsaCa: o.tsaCa as string } : {}),
        config: o.config,
        s3: { endpoint: o.endpoint, region: o.region, forcePathStyle: o.pathStyle },
        ...(o.from ? { from: parseDateArg(o.from, 'start') } : {}),
        ...(o.to ? { to: parseDateArg(o.to, 'end') } : {}),
      });
      io.out(o.json ? JSON.stringify(report, null, 2) : renderVerify(report));
      if (!report.ok) setExitCode(exitCodes.failure);
      else if (!report.authenticated) setExitCode(exitCodes.notAuthenticated);
    });
}
