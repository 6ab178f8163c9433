import { FolderConnector } from '../../connectors/folder/folder-connector';
import { createLogger } from '../../worker/logger';
import { tempDir, writeTree } from './tmp';
import { mappingVocabulary } from '../../connectors';
import { evaluate, type ControlResult, type IndexedArtifact, type SourceRun } from '../../mappings/evaluate';
import { expandMappingPaths, loadMappings, type MappingSet } from '../../mappings/load';

/**
 * Probes of the shipped default pack (issue 16): small indexes built the way the connectors would,
 * evaluated with the default rules for the configured source types, one control at a time.
 */

export const DAY = 86_400_000;
export const now = Date.parse('2026-06-01T12:00:00Z');
export const ago = (days: number) => now - days * DAY;

let n = 0;
export function artifact(
  sourceType: string,
  kind: string,
  observedAt: number,
  attributes: Record<string, unknown>,
  source = sourceType,
): IndexedArtifact {
  n++;
  return {
    id: `${source}:${kind}:${n}`,
    source,
    sourceType,
    kind,
    attributes,
    observedAt,
    collectedAt: observedAt,
    sha256: n.toString(16).padStart(64, '0'),
  };
}

/** A folder document with front matter (dated unless `frontMatter` says otherwise). */
export function document(path: string, observedAt: number, frontMatter?: Record<string, unknown>): IndexedArtifact {
  return artifact('folder', 'document', observedAt, {
    path,
    observedAtFrom: frontMatter?.['effective_date'] ? 'front-matter:effective_date' : 'mtime',
    ...(frontMatter ? { frontMatter } : {}),
  });
}

const packs = new Map<string, Promise<MappingSet>>();
/** The default pack as `mappings: [default]` loads it with these source types configured. */
export function pack(...configured: string[]): Promise<MappingSet> {
  const key = [...configured].sort().join(',');
  let p = packs.get(key);
  if (!p) {
    const v = mappingVocabulary();
    p = loadMappings(expandMappingPaths(['default'], '/', v, new Set(configured)), v);
    packs.set(key, p);
  }
  return p;
}

export const runsOf = (...types: string[]): SourceRun[] =>
  types.map((t) => ({ source: t, sourceType: t, at: ago(0.5), status: 'ok' }));

export async function control(
  id: string,
  artifacts: IndexedArtifact[],
  configured: string[] = [],
  at = now,
): Promise<ControlResult> {
  const mappings = await pack(...configured);
  const results = evaluate({
    artifacts,
    sourceRuns: runsOf(...configured),
    mappings,
    notApplicable: [],
    now: new Date(at),
  });
  return results.find((r) => r.control.id === id)!;
}

/** Collects a folder the way a sweep does, as the folder source `docs`. */
export async function folderArtifacts(files: Record<string, string | Buffer>): Promise<IndexedArtifact[]> {
  const dir = await tempDir();
  await writeTree(dir, files);
  const c = new FolderConnector({ sourceId: 'docs', root: dir, include: [], exclude: [] });
  const out: IndexedArtifact[] = [];
  for await (const s of c.collect({ log: createLogger({ level: 'silent' }) })) {
    const observedAt = Date.parse(s.artifact.meta.observedAt);
    out.push({
      ...artifact('folder', 'document', observedAt, s.artifact.meta.attributes, 'docs'),
      id: `docs:${s.artifact.meta.externalId}`,
    });
  }
  return out;
}

export const ruleOf = (c: ControlResult, rule: string) => c.rules.find((r) => r.rule === rule)!;
