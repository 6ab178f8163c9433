import { z } from 'zod';
import { manifestSchema } from '../evidence/manifest';
import { configSchema } from './config';
import { catalogSchema } from '../mappings/catalog';
import { mappingFileSchema, soaFileSchema } from '../mappings/schema';

/**
 * JSON Schemas generated from the zod schemas that validate each file, so editors (VS Code's YAML
 * extension via `# yaml-language-server: $schema=...`) and other tools see exactly what we accept.
 * `npm run schemas` writes them to docs/schemas/; a test fails if the committed copies drift.
 */
export function jsonSchemas(): Record<string, unknown> {
  const gen = (schema: z.ZodType, id: string, title: string) => ({
    $id: `urn:evidence-hub:schema:${id.replace(/\.schema\.json$/, '')}`,
    title,
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
  });
  return {
    'mapping-file.schema.json': gen(mappingFileSchema, 'mapping-file.schema.json', 'evidence-hub mapping file'),
    'soa-file.schema.json': gen(soaFileSchema, 'soa-file.schema.json', 'evidence-hub Statement of Applicability'),
    'config.schema.json': gen(configSchema, 'config.schema.json', 'evidence-hub.yaml'),
    'catalog.schema.json': gen(catalogSchema, 'catalog.schema.json', 'evidence-hub control catalog'),
    'bundle-manifest.schema.json': gen(
      manifestSchema,
      'bundle-manifest.schema.json',
      'evidence-hub bundle manifest v1',
    ),
  };
}
