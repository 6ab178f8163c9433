// Regenerates examples/evidence-hub.example.yaml from the config schema: `npm run config:example`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderExampleConfig } from '../config/example-config';

const file = path.join(__dirname, '..', 'examples', 'evidence-hub.example.yaml');
writeFileSync(file, renderExampleConfig());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
