import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { FilesystemStore } from '../../evidence/fs-store';
import { existsSync } from 'node:fs';
import { parseS3Url } from '../../evidence/s3-store';
import { verifyStore, type VerifyOptions, type VerifyReport } from '../../evidence/verify';
import { loadConfig } from '../../config/config';
import { openStore } from '../../worker/hub';
import { defaultConfig, exitCodes, parseDateArg, UsageError, type CommandContext } from '../command-kit';

/**
 * `target` is a store folder, one manifest file inside a store's manifests/ folder, or an
 * s3://bucket/prefix URL (S3 settings such as the endpoint come from the config, when there is one).
 */
export async function verifyTarget(
  target: string,
  options: VerifyOptions & { config?: string } = {},
): Promise<VerifyReport> {
  if (target.startsWith('s3://')) {
    const config =
      options.config && existsSync(options.config) ? await loadConfig(options.config, { store: target }) : undefined;
    const store = await openStore(
      config?.store ?? {
        s3: { ...parseS3(target), region: process.env['AWS_REGION'] ?? 'us-east-1', forcePathStyle: false },
      },
      config?.baseDir ?? process.cwd(),
    );
    return verifyStore(store, options);
  }
  const abs = path.resolve(target);
  let st;
  try {
    st = await stat(abs);
  } catch {
    throw new UsageError(`${abs} does not exist; pass an evidence store folder or a bundle manifest`);
  }
  if (st.isDirectory()) return verifyStore(await FilesystemStore.openExisting(abs), options);
  const m = /^(\d{12})\.json$/.exec(path.basename(abs));
  if (!m || path.basename(path.dirname(abs)) !== 'manifests') {
    throw new UsageError(`${abs} is not a bundle manifest (expected <store>/manifests/<12 digits>.json)`);
  }
  const store = await FilesystemStore.openExisting(path.dirname(path.dirname(abs)));
  return verifyStore(store, { sequences: [Number(m[1])] });
}

export function renderVerify(report: VerifyReport): string {
  const head = `${report.ok ? 'OK' : 'FAILED'}: ${report.store}: ${report.bundlesChecked} bundle(s), ${report.blobsChecked} blob(s) checked`;
  const segment = report.segment
    ? [
        `  chain segment from bundle #${report.segment.fromSequence}, anchored on ${report.segment.previousDigest ?? 'the chain start'} (export.json)`,
      ]
    : [];
  return [head, ...segment, ...report.problems.map((p) => `  ${p.code}: ${p.message}`)].join('\n');
}

function parseS3(url: string): { bucket: string; prefix: string } {
  const parsed = parseS3Url(url);
  if (!parsed) throw new UsageError(`${url} is not an s3://bucket/prefix URL`);
  return parsed;
}

/** `evidence-hub verify`: exit code 1 when any check fails. */
export function registerVerify(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('verify')
    .description('verify a store or one bundle: blob hashes, Merkle roots, signatures, chain')
    .argument('<path>', 'store folder, <store>/manifests/<sequence>.json, or s3://bucket/prefix')
    .option('--from <date>', 'only bundles sealed on or after this date')
    .option('--to <date>', 'only bundles sealed on or before this date (a date means the end of that day)')
    .addOption(
      new Option('-c, --config <file>', 'config for S3 settings (endpoint, credentials)').default(defaultConfig),
    )
    .option('--json', 'print the report as JSON')
    .action(async (target: string, o) => {
      const report = await verifyTarget(target, {
        config: o.config,
        ...(o.from ? { from: parseDateArg(o.from, 'start') } : {}),
        ...(o.to ? { to: parseDateArg(o.to, 'end') } : {}),
      });
      io.out(o.json ? JSON.stringify(report, null, 2) : renderVerify(report));
      if (!report.ok) setExitCode(exitCodes.failure);
    });
}
