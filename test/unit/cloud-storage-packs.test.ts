import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { tempDir, writeTree } from '../support/tmp';

const rule = (select: string) =>
  [
    'rules:',
    '  - id: retention-controls',
    '    controls: [A.7.5]',
    `    select: ${select}`,
    '    freshness: 30d',
    '',
  ].join('\n');

describe('azure-blob and gcs mapping packs and kinds', () => {
  const names = (types: string[]) =>
    expandMappingPaths(['default'], '/', mappingVocabulary(), new Set(types)).map((p) => path.basename(p));

  it('default includes each pack only when its source type is configured', () => {
    const always = ['10-documents.yaml', '40-clauses.yaml'];
    expect(names(['folder'])).toEqual([...always, '90-manual.yaml']);
    expect(names(['folder', 'azure-blob'])).toEqual([...always, '52-azure-blob.yaml', '90-manual.yaml']);
    expect(names(['folder', 'gcs'])).toEqual([...always, '54-gcs.yaml', '90-manual.yaml']);
  });

  it('both packs load against the connectors vocabulary', async () => {
    const vocabulary = mappingVocabulary();
    const files = expandMappingPaths(['default'], '/', vocabulary, new Set(['folder', 'azure-blob', 'gcs']));
    await expect(loadMappings(files, vocabulary)).resolves.toBeDefined();
  });

  it('mapping files may select the kinds each connector yields, and no other', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'ok.yaml': rule('[{ source: azure-blob, kind: container }, { source: gcs, kind: bucket }]'),
      'bad.yaml': rule('{ source: gcs, kind: container }'),
    });
    await expect(loadMappings([path.join(dir, 'ok.yaml')], mappingVocabulary())).resolves.toBeDefined();
    const err = await loadMappings([path.join(dir, 'bad.yaml')], mappingVocabulary()).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/kind[^\n]*container|container[^\n]*kind/);
  });
});
