import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOptions } from '../../cli/commands/serve';
import { readinessOf } from '../../cli/commands/readiness';
import { catalogStatus } from '../../cli/commands/status';
import { ConsoleAuth } from '../../console/auth';
import { startConsole } from '../../console/server';
import { readinessJson } from '../../mappings/readiness-json';
import { hubIn, quietLog, signingKey, type HubFixture } from '../support/hub-fixture';
import { writeBundle } from '../support/store-fixture';
import { suiteDir } from '../support/tmp';

const DAY = 86_400_000;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const assessment = (system: string) => ({
  frontMatter: { type: 'impact-assessment', system, impacts: ['individuals', 'societal'] },
  dateSource: 'effective',
});

/**
 * The console's AI-system filter and its JSON API for clauses, systems and readiness (issue 20), over HTTP on
 * a real socket, against what the CLI's own functions (`status --catalog/--system`, `readiness`) compute.
 */
describe('console: controls by AI system, clauses, systems and readiness as JSON', () => {
  let fx: HubFixture;
  let server: Server;
  let base: string;
  const now = Date.now();
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  beforeAll(async () => {
    fx = await hubIn(
      await suiteDir(),
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./keys/signing.pem } }',
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        'aiSystems:',
        '  register: { file: ./ai-systems.csv }',
        'audits:',
        '  calendar:',
        `    - { id: surv-1, type: surveillance, date: "${day(now + 60 * DAY)}", certificationBody: Example Cert }`,
        '',
      ].join('\n'),
      {
        'org/readme.md': 'x',
        'ai-systems.csv': 'id,status\nchat-assistant,production\nroute-optimizer,production\n',
      },
    );
    const key = await signingKey(fx.hub);
    // route-optimizer's assessment is 500 days old (stale), chat-assistant's 10 days (current).
    await writeBundle(fx.hub.store, key, fx.hub.mappings, 'old', { 'ia/route.md': 'r' }, new Date(now - 500 * DAY), {
      attributes: { 'ia/route.md': assessment('route-optimizer') },
    });
    await writeBundle(fx.hub.store, key, fx.hub.mappings, 'new', { 'ia/chat.md': 'c' }, new Date(now - 10 * DAY), {
      attributes: { 'ia/chat.md': assessment('chat-assistant') },
    });
    const auth = await ConsoleAuth.fromConfig(fx.hub.config.console, fx.hub.config.baseDir);
    server = await startConsole(consoleOptions(fx.hub, auth, quietLog, true), '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('filters the controls page by AI system: a select of the known systems, the verdicts, only judged controls', async () => {
    const all = await get('/controls');
    expect(all.status).toBe(200);
    expect(all.text).toMatch(
      /<select id="system" name="system"><option value="" selected>any AI system<\/option><option value="chat-assistant">chat-assistant<\/option><option value="route-optimizer">route-optimizer<\/option><\/select>/,
    );
    expect(all.text).toContain('38 control(s)');

    const one = await get('/controls?system=route-optimizer');
    expect(one.status).toBe(200);
    expect(one.text).toContain('<option value="route-optimizer" selected>');
    const verdict =
      /<tr data-system-control="A\.5\.3"><td>A\.5\.3<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]*)<\/td>/.exec(
        one.text,
      );
    expect(verdict?.slice(1)).toEqual([
      'impact-assessment-records',
      'stale',
      `docs:ia/route.md (${day(now - 500 * DAY)})`,
    ]);
    const chat = await get('/controls?system=chat-assistant');
    expect(chat.text).toMatch(/data-system-control="A\.5\.3"><td>A\.5\.3<\/td><td>[^<]+<\/td><td>current<\/td>/);
    // Only the controls the per-system rules judge (A.5.3 to A.5.5 in the default pack), not all 38.
    const shown = [...one.text.matchAll(/<tr data-control="([^"]+)"/g)].map((m) => m[1]);
    expect(shown).toEqual(['A.5.3', 'A.5.4', 'A.5.5']);
    expect(one.text).toContain('3 control(s)');

    const typo = await get('/controls?system=route-optimiser');
    expect(typo.status).toBe(400);
    expect(typo.text).toContain(
      'no AI system &quot;route-optimiser&quot; in the inventory; did you mean route-optimizer? (known: chat-assistant, route-optimizer)',
    );
  });

  it('answers /api/v1/controls?system= with the system view and only the controls it judges; 400 names the known ids', async () => {
    const res = await get('/api/v1/controls?system=route-optimizer');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.controls.map((c: { id: string }) => c.id)).toEqual(['A.5.3', 'A.5.4', 'A.5.5']);
    expect(body.controls[0]).toMatchObject({ id: 'A.5.3', status: 'stale', decidingRule: 'impact-assessment-records' });
    expect(body.system.system).toBe('route-optimizer');
    expect(body.system.controls.find((c: { control: string }) => c.control === 'A.5.3').verdict).toMatchObject({
      system: 'route-optimizer',
      status: 'stale',
      record: { id: 'docs:ia/route.md' },
    });

    const bad = await get('/api/v1/controls?system=nope');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toMatch(
      /^no AI system "nope" in the inventory.*\(known: chat-assistant, route-optimizer\)$/,
    );
  });

  it('answers the clauses as status --json --catalog does, and refuses an unknown catalog', async () => {
    const cli = await catalogStatus(fx.hub, { catalog: 'all' });
    const [annexA, clauses] = cli.groups.map((g) => g.results);
    const both = JSON.parse((await get('/api/v1/controls?catalog=all')).text);
    expect(both.controls).toHaveLength(38);
    expect(both.clauses.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual(
      clauses!.map((r) => [r.control.id, r.status]),
    );
    expect(both.clauses.length).toBeGreaterThan(20);
    expect(both.controls.map((c: { id: string }) => c.id)).toEqual(annexA!.map((r) => r.control.id));

    const only = JSON.parse((await get('/api/v1/controls?catalog=clauses')).text);
    expect(only.controls).toBeUndefined();
    expect(only.clauses.map((c: { id: string }) => c.id)).toEqual(clauses!.map((r) => r.control.id));
    // The default stays Annex A only, as before clauses were served.
    const plain = JSON.parse((await get('/api/v1/controls')).text);
    expect(plain.clauses).toBeUndefined();
    expect(plain.controls).toHaveLength(38);

    const bad = await get('/api/v1/controls?catalog=annex-b');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error).toBe('catalog: expected one of annex-a, clauses, all, got "annex-b"');
  });

  it('answers /api/v1/systems with the matrix of status --by-system', async () => {
    const body = JSON.parse((await get('/api/v1/systems')).text);
    expect(body.systems).toEqual(['chat-assistant', 'route-optimizer']);
    const row = body.rows.find((r: { control: string }) => r.control === 'A.5.3');
    expect(row.status).toBe('stale');
    expect(row.systems['chat-assistant']).toMatchObject({ status: 'current', record: { id: 'docs:ia/chat.md' } });
    expect(row.systems['route-optimizer'].status).toBe('stale');
  });

  it('answers /api/v1/readiness with exactly readiness --json for the next audit', async () => {
    const res = await get('/api/v1/readiness');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.audit).toEqual({
      id: 'surv-1',
      type: 'surveillance',
      date: day(now + 60 * DAY),
      certificationBody: 'Example Cert',
    });
    expect(body.daysToAudit).toBeGreaterThanOrEqual(59);
    expect(body.notReady).toContain('A.5.3');
    const a53 = body.controls.find((c: { control: { id: string } }) => c.control.id === 'A.5.3');
    expect(a53).toMatchObject({ ready: false, now: { status: 'stale', statusText: expect.any(String) } });
    // The same forecast the CLI computes (its `today` is its own instant: compare everything else).
    const cli = JSON.parse(JSON.stringify(readinessJson(await readinessOf(fx.hub))));
    const { today: _a, ...apiRest } = body;
    const { today: _b, ...cliRest } = cli;
    expect(apiRest.notReady).toEqual(cliRest.notReady);
    expect(apiRest.clauses.notReady).toEqual(cliRest.clauses.notReady);
    expect(apiRest.mustRefresh).toEqual(cliRest.mustRefresh);
  });

  it('describes the new answers in the OpenAPI document', async () => {
    const doc = JSON.parse((await get('/api/v1/openapi.json')).text);
    const params = doc.paths['/api/v1/controls'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(['status', 'catalog', 'system']);
    const controls = doc.paths['/api/v1/controls'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(controls.properties)).toEqual([
      'asOf',
      'controls',
      'clauses',
      'system',
      'evaluating',
      'evaluatedBundle',
      'newestBundle',
    ]);
    const systems = doc.paths['/api/v1/systems'].get.responses['200'].content['application/json'].schema;
    expect(systems.required).toEqual(['asOf', 'systems', 'rows', 'unknown']);
    // Every answer read from the evaluation says when it is an earlier one (console/api-schema-catalog.ts).
    expect(Object.keys(systems.properties)).toContain('evaluating');
    const one = doc.paths['/api/v1/controls/{id}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(one.properties)).toEqual([
      'asOf',
      'control',
      'evidence',
      'evaluating',
      'evaluatedBundle',
      'newestBundle',
    ]);
    const readiness = doc.paths['/api/v1/readiness'].get.responses['200'].content['application/json'].schema;
    expect(readiness.properties.audit.properties.type.enum).toEqual([
      'stage1',
      'stage2',
      'surveillance',
      'recertification',
    ]);
    expect(doc.paths['/api/v1/readiness'].get.responses['404']).toBeDefined();
  });
});
