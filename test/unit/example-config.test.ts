import { copyFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { configSchema, loadConfig } from '../../config/config';
import { renderExampleConfig } from '../../config/example-config';
import { dataPath } from '../../core/data-files';
import { tempDir } from '../support/tmp';

const committedFile = dataPath('examples', 'evidence-hub.example.yaml');
const committed = readFileSync(committedFile, 'utf8');

/** Every property name anywhere in the config's JSON Schema. */
function propertyNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => propertyNames(s, out));
  else if (schema && typeof schema === 'object') {
    const o = schema as Record<string, unknown>;
    if (o['properties'] && typeof o['properties'] === 'object') {
      for (const k of Object.keys(o['properties'])) out.add(k);
    }
    for (const v of Object.values(o)) propertyNames(v, out);
  }
  return out;
}

/** A commented-out top-level block (`# witness:` up to the blank line), uncommented, without its descriptions. */
function uncommentBlock(text: string, key: string): string {
  const lines = text.split('\n');
  const start = lines.indexOf(`# ${key}:`);
  expect(start, `# ${key}: in the example`).toBeGreaterThan(-1);
  const block: string[] = [];
  for (let i = start; i < lines.length && lines[i] !== ''; i++) block.push(lines[i]!.replace(/^# ?/, ''));
  return block.filter((l) => !/^\s*#/.test(l)).join('\n');
}

describe('examples/evidence-hub.example.yaml', () => {
  it('is up to date with the config schema (run `npm run config:example` after changing the schema)', () => {
    expect(committed).toBe(renderExampleConfig());
  });

  it('names every setting the schema accepts', () => {
    const names = propertyNames(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }));
    expect(names.size).toBeGreaterThan(100);
    const missing = [...names].filter((n) => !new RegExp(`(^|[\\s{-])${n}:`, 'm').test(committed));
    expect(missing).toEqual([]);
  });

  it('loads as it is, and its active lines are exactly the defaults', async () => {
    const dir = await tempDir();
    await copyFile(committedFile, path.join(dir, 'example.yaml'));
    const example = await loadConfig(path.join(dir, 'example.yaml'));
    // The same source on its own: everything else comes from the schema's defaults.
    await writeFile(
      path.join(dir, 'minimal.yaml'),
      'version: 1\nsources:\n  - { id: policies, type: folder, path: ./documents }\n',
    );
    const minimal = await loadConfig(path.join(dir, 'minimal.yaml'));
    expect({ ...example, file: '' }).toEqual({ ...minimal, file: '' });
    expect(example.sources).toHaveLength(1);
  });

  it('its commented-out sections become valid settings when uncommented', () => {
    const alerts = parse(uncommentBlock(committed, 'alerts')) as { alerts: { slack: Record<string, unknown> } };
    expect(Object.keys(alerts.alerts.slack)).toEqual(
      expect.arrayContaining(['token', 'defaultChannel', 'routes', 'reminderEvery']),
    );
    const witness = parse(uncommentBlock(committed, 'witness')) as { witness: Record<string, unknown> };
    expect(Object.keys(witness.witness)).toEqual(['tsa', 's3']);
    // With the placeholders filled in, an uncommented section passes the schema.
    const filled = uncommentBlock(committed, 'alerts')
      .replace('token: { env: <string> }', 'token: { env: SLACK_TOKEN }')
      .replace(/defaultChannel: <string>/, 'defaultChannel: "#ai-ops"')
      .replace(/\n\s*(apiUrl|defaultMention|routes|- match|channel|mention): .*(?=\n)/g, '')
      // Optional sections whose every line was dropped above (routes, the operations channel).
      .replace(/\n\s*(routes|operations):(?=\n|$)/g, '');
    const parsed = configSchema.safeParse({
      version: 1,
      sources: [{ id: 'policies', type: 'folder', path: './documents' }],
      ...(parse(filled) as object),
    });
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });
});
