import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { mappingVocabulary } from '../../connectors';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { tempDir } from '../support/tmp';

/*
 * The SageMaker and Hugging Face packs as `mappings check` and the worker see them: `default` expands to a
 * connector's pack only when a source of its type is configured, and mapping files may name its kinds (a
 * typo in a kind is a load-time error naming the file).
 */
const packOf = { sagemaker: '45-sagemaker.yaml', huggingface: '46-huggingface.yaml' } as const;

describe('sagemaker and huggingface mapping packs', () => {
  for (const [type, file] of Object.entries(packOf)) {
    it(`${type}: the default pack loads only when a ${type} source is configured`, async () => {
      const v = mappingVocabulary();
      const without = expandMappingPaths(['default'], '/', v, new Set(['folder', 'mlflow']));
      expect(without.map((p) => path.basename(p))).not.toContain(file);
      const withIt = expandMappingPaths(['default'], '/', v, new Set(['folder', type]));
      expect(withIt.map((p) => path.basename(p))).toContain(file);
      const set = await loadMappings(withIt, v);
      expect(set.rules.some((r) => r.sourceTypes.includes(type))).toBe(true);
    });
  }

  it('mapping files may select their kinds; an unknown kind is refused with the file named', async () => {
    const dir = await tempDir();
    const good = path.join(dir, 'good.yaml');
    await writeFile(
      good,
      [
        'rules:',
        '  - id: endpoints-approved',
        '    controls: [A.6.2.5]',
        '    select: { source: sagemaker, kind: deployed-endpoint, where: { allPackagesApproved: true } }',
        '    freshness: 30d',
        '  - id: hf-commits',
        '    controls: [A.6.2.7]',
        '    select: { source: huggingface, kind: repo-commit }',
        '    freshness: 30d',
        '',
      ].join('\n'),
    );
    const set = await loadMappings([good], mappingVocabulary());
    expect(set.rules.map((r) => r.id)).toEqual(['endpoints-approved', 'hf-commits']);

    const bad = path.join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'rules:\n  - id: typo\n    controls: [A.6.2.5]\n    select: { source: huggingface, kind: hf-models }\n    freshness: 30d\n',
    );
    const err = await loadMappings([bad], mappingVocabulary()).catch((e: unknown) => e);
    expect((err as Error).message).toContain('bad.yaml');
    expect((err as Error).message).toContain('hf-models');
  });
});
