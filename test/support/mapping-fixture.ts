import path from 'node:path';
import type { IndexedArtifact } from '../../mappings/evaluate';
import { loadMappings, type MappingSet } from '../../mappings/load';
import { tempDir, writeTree } from './tmp';
import { mappingVocabulary } from '../../connectors';

export async function mappingsFrom(yaml: string): Promise<MappingSet> {
  const dir = await tempDir();
  await writeTree(dir, { 'm.yaml': yaml });
  return loadMappings([path.join(dir, 'm.yaml')], mappingVocabulary());
}

export const DAY = 86_400_000;

let n = 0;
export function doc(p: string, observedAt: string | number, extra: Partial<IndexedArtifact> = {}): IndexedArtifact {
  const observed = typeof observedAt === 'number' ? observedAt : Date.parse(observedAt);
  return {
    id: `docs:${p}`,
    source: 'docs',
    sourceType: 'folder',
    kind: 'document',
    attributes: { path: p },
    observedAt: observed,
    collectedAt: observed,
    sha256: (n++).toString(16).padStart(64, '0'),
    ...extra,
  };
}
