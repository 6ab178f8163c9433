import path from 'node:path';
import { Option, type Command } from 'commander';
import {
  defaultPaper,
  ExportError,
  exportAuditPack,
  paperSizes,
  type ExportHub,
  type ExportResult,
  type PaperSize,
} from '../../evidence/export';
import type { Signer } from '../../evidence/signing';
import type { LoadedConfig } from '../../config/config';
import { loadHub, loadSigningKey } from '../../worker/hub';
import { auditFromCalendar } from './readiness';
import {
  configOption,
  parseDateArg,
  storeOption,
  storeOverrides,
  UsageError,
  type CommandContext,
  type Io,
} from '../command-kit';

export interface ExportCommandOptions {
  /** Window start: YYYY-MM-DD (start of that UTC day) or an RFC 3339 time. */
  from: string;
  /** Window end: YYYY-MM-DD (end of that UTC day) or an RFC 3339 time. */
  to: string;
  /** Glob over control ids, e.g. "A.6.*" (narrows the report; every bundle of the window is still included). */
  controls?: string;
  /** The archive: .tar.gz, .tgz or .zip. */
  out: string;
  /** Also print the summary page to this PDF (needs Chromium). */
  pdf?: string;
  /** The PDF's paper size: a4 (default) or letter. */
  paper?: string;
  json?: boolean;
}

/**
 * `evidence-hub export --from DATE --to DATE [--controls GLOB] --out FILE [--pdf FILE [--paper a4|letter]]`: the audit pack for an
 * observation window. Exit code 0 when written cleanly; 1 when it was written but the store had problems
 * (or the PDF failed); bad input throws UsageError (exit 2).
 */
export async function runExport(
  hub: ExportHub & { key: Signer },
  options: ExportCommandOptions,
  io: Io,
): Promise<number> {
  const from = parseDateArg(options.from, 'start', '--from');
  const to = parseDateArg(options.to, 'end', '--to');
  const paper = paperOf(options.paper);
  let result: ExportResult;
  try {
    result = await exportAuditPack(hub, {
      from,
      to,
      out: options.out,
      key: hub.key,
      ...(options.controls ? { controls: options.controls } : {}),
      ...(options.pdf ? { pdf: options.pdf, paper } : {}),
    });
  } catch (err) {
    if (err instanceof ExportError) throw new UsageError(err.message);
    throw err;
  }
  if (options.json) io.out(JSON.stringify(result, null, 2));
  else for (const line of describe(result)) io.out(line);
  for (const p of result.problems) io.err(`warning: ${p}`);
  if (result.pdfError) io.err(`PDF not written: ${result.pdfError}`);
  return result.problems.length > 0 || result.pdfError ? 1 : 0;
}

/** --paper, checked here too: runExport is also called without commander's choice check. */
function paperOf(value: string | undefined): PaperSize {
  if (value === undefined) return defaultPaper;
  const paper = paperSizes.find((p) => p === value.toLowerCase());
  if (!paper) throw new UsageError(`--paper must be one of ${paperSizes.join(', ')} (got "${value}")`);
  return paper;
}

function describe(r: ExportResult): string[] {
  const range =
    r.bundles.length > 0
      ? `bundles #${r.bundles[0]}..#${r.bundles.at(-1)} (${r.bundles.length})`
      : 'no bundle sealed in the window';
  const counts = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const lines = [
    `wrote ${r.out}: ${range}, ${r.blobs} blob(s)${r.tombstones > 0 ? `, ${r.tombstones} tombstone(s)` : ''}, ${r.files} file(s); ${r.controls} control(s): ${counts}`,
  ];
  if (r.bundles.length > 0 && r.previousDigest) {
    lines.push(
      `bundle #${r.fromSequence} links to sha256 ${r.previousDigest} (bundle #${r.fromSequence - 1}, before the window, not included): export.json records it as the anchor`,
    );
  }
  const dir = path.join(path.dirname(r.out), r.root);
  const unpack =
    r.format === 'zip' ? `unzip ${r.out} -d ${path.dirname(r.out)}` : `tar xzf ${r.out} -C ${path.dirname(r.out)}`;
  lines.push(
    `export.json signed by key ${r.keyId}, fingerprint sha256:${r.fingerprint}: give the auditor this fingerprint out of band, never inside the pack`,
  );
  lines.push(
    `check it: ${unpack} && evidence-hub verify ${dir} --trust sha256:${r.fingerprint}   (or by hand: ${path.join(dir, 'VERIFY.md')})`,
  );
  if (r.pdf) lines.push(`summary PDF: ${r.pdf}`);
  return lines;
}

/**
 * --from/--to, or the observation window of `--audit ID` (mappings/readiness.ts: from the previous audit, to
 * the end of the audit day). Exactly one of the two ways.
 */
export function exportWindow(
  config: Pick<LoadedConfig, 'audits' | 'file'>,
  o: { from?: string; to?: string; audit?: string },
): { from: string; to: string } {
  if (o.audit !== undefined) {
    if (o.from !== undefined || o.to !== undefined)
      throw new UsageError('give either --audit or --from/--to, not both');
    const { window } = auditFromCalendar(config.audits, o.audit, new Date(), config.file);
    return { from: window.from.toISOString(), to: window.to.toISOString() };
  }
  if (o.from === undefined || o.to === undefined)
    throw new UsageError('give the window: --from DATE --to DATE, or --audit ID from the audit calendar');
  return { from: o.from, to: o.to };
}

/** `evidence-hub export`: see runExport. */
export function registerExport(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('export')
    .description('write the audit pack for an observation window (bundles, blobs, keys, HTML report, OSCAL, VERIFY.md)')
    .option('--from <date>', 'window start (YYYY-MM-DD = start of that UTC day)')
    .option('--to <date>', 'window end (YYYY-MM-DD = end of that UTC day)')
    .option('--audit <id>', 'the window of this audit of the calendar (audits: in the config) instead of --from/--to')
    .option('--controls <glob>', 'only these controls in the report and OSCAL, e.g. "A.6.*"')
    .requiredOption('--out <file>', 'archive to write: .zip, .tar.gz or .tgz')
    .option('--pdf <file>', 'also print the summary page, with every reason, to PDF (headless Chromium)')
    .addOption(new Option('--paper <size>', 'paper size of the PDF').choices(paperSizes).default(defaultPaper))
    .option('--json', 'print the result as JSON')
    .addOption(configOption())
    .addOption(storeOption())
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      // export.json is signed with the store's current key, so the pack's window and last bundle are vouched for.
      const key = await loadSigningKey(hub.config);
      setExitCode(await runExport({ ...hub, key }, { ...o, ...exportWindow(hub.config, o) }, io));
    });
}
