import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { mappingVocabulary } from '../../connectors';
import { fileRecord, RecordError, type FileRecordResult } from '../../connectors/manual/layout';
import { closestIds, loadCatalog } from '../../mappings/catalog';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { loadConfig, type SourceConfig } from '../../config/config';
import { configOption, UsageError, type CommandContext } from '../command-kit';

export interface UploadOptions {
  config: string;
  topic: string;
  source?: string;
  date?: string;
  note?: string;
  /** The policy version the records acknowledge (sidecar `policy_version`). */
  policyVersion?: string;
  by?: string;
  /** File under a topic no mapping rule reads (for rules that match topics by glob or regex). */
  anyTopic?: boolean;
}

/**
 * `evidence-hub upload`: files records only people can supply into the configured manual source, by
 * topic, with who filed them and when they took effect. The next sweep seals them like any evidence.
 */
export async function runUpload(
  files: string[],
  o: UploadOptions,
  now: Date,
  out: (s: string) => void,
): Promise<UploadResult> {
  const config = await loadConfig(o.config);
  const manual = config.sources.filter((s): s is Extract<SourceConfig, { type: 'manual' }> => s.type === 'manual');
  if (manual.length === 0) {
    throw new UsageError(
      `${o.config} configures no manual source; add one under sources, e.g. "- { id: records, type: manual, path: ./records }"`,
    );
  }
  const source = o.source ? manual.find((s) => s.id === o.source) : manual.length === 1 ? manual[0] : undefined;
  if (!source) {
    const ids = manual.map((s) => s.id);
    throw new UsageError(
      o.source
        ? `no manual source "${o.source}" (manual sources: ${ids.join(', ')})`
        : `several manual sources: choose one with --source (${ids.join(', ')})`,
    );
  }

  if (!o.anyTopic) {
    const vocabulary = mappingVocabulary();
    const mappings = await loadMappings(
      expandMappingPaths(config.mappings, config.baseDir, vocabulary, new Set(config.sources.map((s) => s.type))),
      vocabulary,
      loadCatalog(),
    );
    const topics = new Set(mappings.rules.flatMap((r) => r.uploadTopics));
    if (!topics.has(o.topic)) {
      const near = closestIds(o.topic, topics);
      throw new UsageError(
        `no mapping rule reads manual records of topic "${o.topic}"${near.length ? `; did you mean ${near[0]}?` : ''} (topics the mappings use: ${[...topics].sort().join(', ') || 'none'}; --any-topic files it anyway)`,
      );
    }
  }
  const effective = o.date ?? now.toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(effective) || Number.isNaN(Date.parse(effective)))
    throw new UsageError(`--date "${effective}": use yyyy-mm-dd, the date the record took effect`);
  if (Date.parse(effective) > now.getTime())
    throw new UsageError(`--date ${effective} is in the future; evidence counts from the date it took effect`);
  for (const file of files) {
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) throw new UsageError(`${file}: not a file`);
  }

  const uploadedBy = o.by ?? os.userInfo().username;
  const records: FileRecordResult[] = [];
  for (const file of files) {
    try {
      const r = await fileRecord({
        root: source.path,
        file,
        topic: o.topic,
        effective,
        uploadedBy,
        uploadedAt: now,
        ...(o.note ? { note: o.note } : {}),
        ...(o.policyVersion ? { policyVersion: o.policyVersion } : {}),
      });
      records.push(r);
      const where = path.relative(process.cwd(), r.path) || r.path;
      out(
        `${r.kind === 'filed' ? 'filed' : 'already filed'}: ${where} (topic ${o.topic}, effective ${effective}, sha256 ${r.sha256.slice(0, 12)}…)`,
      );
    } catch (err) {
      if (err instanceof RecordError) throw new UsageError(err.message);
      throw err;
    }
  }
  out(
    `the next sweep of "${source.id}" seals ${files.length === 1 ? 'it' : 'them'}; to seal now: evidence-hub sweep --sources ${source.id} --wait`,
  );
  return { source: source.id, effective, records };
}

/** What runUpload filed: the manual source, the effective date, and each record (filed or already there). */
export interface UploadResult {
  source: string;
  effective: string;
  records: FileRecordResult[];
}

/** `evidence-hub upload`: see runUpload. */
export function registerUpload(program: Command, { io }: CommandContext): void {
  program
    .command('upload')
    .description(
      'file records only people can supply (training records, signed clauses) into the manual source, by topic',
    )
    .argument('<files...>', 'files to file as records')
    .requiredOption(
      '-t, --topic <topic>',
      'what the records evidence, as the mappings name it (e.g. training, contract-clauses)',
    )
    .option('--source <id>', 'the manual source (needed when several are configured)')
    .option('--date <yyyy-mm-dd>', 'when the records took effect (default: today); freshness counts from it')
    .option('--note <text>', 'a note kept with the record')
    .option(
      '--policy-version <version>',
      'the policy version the records acknowledge (policy-acknowledgement: must match the AI policy in force)',
    )
    .option('--by <name>', 'who files them (default: the OS user)')
    .option('--any-topic', 'file under a topic no mapping rule reads by name')
    .addOption(configOption())
    .action(async (files: string[], o) => {
      await runUpload(files, o, new Date(), io.out);
    });
}
