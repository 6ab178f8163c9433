// Regenerates docs/schemas/*.json from the zod schemas: `npm run schemas`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { jsonSchemas } from '../config/json-schemas';

const dir = path.join(__dirname, '..', 'docs', 'schemas');
for (const [name, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(path.join(dir, name), JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote docs/schemas/${name}`);
}
