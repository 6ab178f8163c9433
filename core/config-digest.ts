import { canonicalJson, sha256Hex } from './digest';

/**
 * A digest of the configuration a process runs, per part, so two processes can tell whether they run the
 * same config and, when not, which sources and sections differ. The worker keeps the config it started
 * with while the CLI reads the file as it is now; comparing summaries turns that silent disagreement into a
 * warning that names the differences (docs/deploy.md, "Config changes").
 */
export interface ConfigSummary {
  /** sha256 over everything below. */
  digest: string;
  /** Per source id: the digest of its entry. */
  sources: Record<string, string>;
  /** Per other top-level section (store, temporal, alerts, mappings...): its digest. */
  sections: Record<string, string>;
}

/** What a worker reports about itself next to its summary. */
export interface WorkerConfigInfo extends ConfigSummary {
  file: string;
  startedAt: string;
  host: string;
  pid: number;
}

/**
 * Summarises a loaded config. `file` and `baseDir` are left out (the same config loaded on another host
 * has other paths); secrets are references in the config, never values, so nothing secret is hashed.
 */
export function summarizeConfig(config: {
  sources: readonly { id: string }[];
  [section: string]: unknown;
}): ConfigSummary {
  const sources: Record<string, string> = {};
  for (const s of config.sources) sources[s.id] = short(s);
  const sections: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'sources' || k === 'file' || k === 'baseDir' || v === undefined) continue;
    sections[k] = short(v);
  }
  return { digest: short({ sources, sections }), sources, sections };
}

/** The differences between the worker's summary and this one, as sentences; empty when they agree. */
export function configDifferences(worker: ConfigSummary, here: ConfigSummary): string[] {
  if (worker.digest === here.digest) return [];
  const out: string[] = [];
  const ids = (r: Record<string, string>) => Object.keys(r).sort();
  const added = ids(here.sources).filter((id) => !(id in worker.sources));
  const removed = ids(worker.sources).filter((id) => !(id in here.sources));
  const changed = ids(here.sources).filter((id) => id in worker.sources && worker.sources[id] !== here.sources[id]);
  if (added.length > 0) out.push(`sources added here, unknown to the worker (not collected): ${added.join(', ')}`);
  if (removed.length > 0) out.push(`sources removed here, still collected by the worker: ${removed.join(', ')}`);
  if (changed.length > 0) out.push(`sources changed here, the worker runs their old settings: ${changed.join(', ')}`);
  const sections = [...new Set([...ids(worker.sections), ...ids(here.sections)])].filter(
    (k) => worker.sections[k] !== here.sections[k],
  );
  if (sections.length > 0) out.push(`sections that differ: ${sections.join(', ')}`);
  return out;
}

function short(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 16);
}
