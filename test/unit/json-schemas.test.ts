import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dataPath } from '../../core/data-files';
import { jsonSchemas } from '../../config/json-schemas';

const schemas = jsonSchemas();

describe('generated JSON Schemas', () => {
  it('the committed docs/schemas match the zod schemas (run `npm run schemas` after changing a schema)', () => {
    for (const [name, schema] of Object.entries(schemas)) {
      const committed = JSON.parse(readFileSync(dataPath('docs', 'schemas', name), 'utf8'));
      expect(committed, name).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });

  it('editors validating with them accept the shipped files and reject a typo', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const mapping = ajv.compile(schemas['mapping-file.schema.json'] as object);
    const pack = readdirSync(dataPath('mappings', 'default')).filter((f) => f.endsWith('.yaml'));
    expect(pack.length).toBeGreaterThan(0);
    for (const f of pack) {
      const ok = mapping(parse(readFileSync(dataPath('mappings', 'default', f), 'utf8')));
      expect(ok, `${f}: ${JSON.stringify(mapping.errors)}`).toBe(true);
    }
    expect(mapping({ rules: [{ id: 'x', controls: ['A.2.2'], select: { source: 'folder' }, freshnes: '30d' }] })).toBe(
      false,
    );

    const config = ajv.compile(schemas['config.schema.json'] as object);
    expect(
      config(parse(readFileSync(dataPath('examples', 'demo', 'evidence-hub.yaml'), 'utf8'))),
      JSON.stringify(config.errors),
    ).toBe(true);
    const catalog = ajv.compile(schemas['catalog.schema.json'] as object);
    expect(
      catalog(JSON.parse(readFileSync(path.join(dataPath('mappings', 'catalog'), 'iso42001-2023.json'), 'utf8'))),
    ).toBe(true);
  });
});
