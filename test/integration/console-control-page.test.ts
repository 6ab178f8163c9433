import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOptions } from '../../cli/commands/serve';
import { controlStatus } from '../../cli/commands/status';
import { ConsoleAuth } from '../../console/auth';
import { verifyIntegrity } from '../../evidence/integrity';
import { startConsole } from '../../console/server';
import { hubIn, quietLog, signingKey, type HubFixture } from '../support/hub-fixture';
import { writeBundle } from '../support/store-fixture';
import { suiteDir } from '../support/tmp';

const DAY = 86_400_000;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The rows of the table with `id` as [data-* attribute values, cell texts] (the page has no script to ask). */
function tableRows(html: string, id: string): string[] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(html);
  if (!table) throw new Error(`no table #${id}`);
  return [...table[1]!.matchAll(/<tr data-[\s\S]*?<\/tr>/g)].map((m) => m[0]);
}

describe('console overview and control page: forecast, integrity, timeline and every bundle holding a record, on a real socket', () => {
  let fx: HubFixture;
  let server: Server;
  let base: string;
  const now = Date.now();

  beforeAll(async () => {
    fx = await hubIn(
      await suiteDir(),
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./keys/signing.pem } }',
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        'audits:',
        '  calendar:',
        `    - { id: surv-1, type: surveillance, date: "${day(now + 60 * DAY)}", certificationBody: Example Cert }`,
        '',
      ].join('\n'),
      { 'org/readme.md': 'x' },
    );
    const key = await signingKey(fx.hub);
    // The RACI (365-day freshness) observed 400 days ago, recorded by two sweeps: it went stale 35 days ago.
    const old = new Date(now - 400 * DAY);
    await writeBundle(fx.hub.store, key, fx.hub.mappings, 'b1', { 'raci.csv': 'system,owner\nbot,alice\n' }, old);
    await writeBundle(fx.hub.store, key, fx.hub.mappings, 'b2', { 'raci.csv': 'system,owner\nbot,alice\n' }, old);
    // A new version yesterday: current again. Between the two lies at least one month start (a stale point).
    await writeBundle(
      fx.hub.store,
      key,
      fx.hub.mappings,
      'b3',
      { 'raci.csv': 'system,owner\nbot,bob\n' },
      new Date(now - DAY),
    );
    const auth = await ConsoleAuth.fromConfig(fx.hub.config.console, fx.hub.config.baseDir);
    server = await startConsole(consoleOptions(fx.hub, auth, quietLog, true), '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('draws the status at every month start of the last year, each equal to status --as-of that point', async () => {
    const res = await fetch(`${base}/controls/A.3.2`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
    const points = tableRows(html, 'timeline').map((r) => ({
      at: /data-at="([^"]+)"/.exec(r)![1]!,
      status: /data-status="([^"]+)"/.exec(r)![1]!,
    }));
    // A year back (the first bundle is older): the start, 12 or 13 month starts, and now.
    expect(points.length).toBeGreaterThanOrEqual(13);
    expect(Date.parse(points[0]!.at)).toBeGreaterThanOrEqual(now - 366 * DAY);
    const statuses = points.map((p) => p.status);
    expect(statuses[0]).not.toBe('stale');
    expect(statuses).toContain('stale');
    expect(statuses.at(-1)).not.toBe('stale');
    // The bar carries one segment per point, coloured by the same status.
    const segments = [...html.matchAll(/<rect(?: class="end")? data-status="([^"]+)"/g)].map((m) => m[1]);
    expect(segments).toEqual(statuses);
    for (const p of points.slice(0, -1)) {
      const { results } = await controlStatus(fx.hub, { asOf: p.at, controls: 'A.3.2' });
      expect(results[0]!.status, p.at).toBe(p.status);
    }
  });

  it('lists every bundle that recorded each evidence record, not only the first', async () => {
    const html = await (await fetch(`${base}/controls/A.3.2`)).text();
    const bundlesOf = (r: string) => [...r.matchAll(/data-bundle="(\d+)"/g)].map((m) => Number(m[1]));
    const rows = tableRows(html, 'evidence');
    expect(rows).toHaveLength(2);
    // Newest first: yesterday's version only in bundle 3; the old one in bundles 1 and 2.
    expect(bundlesOf(rows[0]!)).toEqual([3]);
    expect(bundlesOf(rows[1]!)).toEqual([1, 2]);
  });

  it('the overview shows the next audit with its forecast, the soonest stale controls and integrity', async () => {
    const page = async () => {
      const res = await fetch(`${base}/`);
      expect(res.status).toBe(200);
      return res.text();
    };
    let html = await page();
    expect(html).toMatch(/<div id="next-audit" data-audit="surv-1">/);
    // Only the RACI's two controls have current evidence; the rest are missing today and on the day.
    const { results } = await controlStatus(fx.hub, {});
    expect(html).toContain(`of ${results.length} controls ready on the day`);
    expect(html).toMatch(/<p id="not-ready">[\s\S]*A\.2\.2/);
    expect(/<table id="soonest">[\s\S]*?<\/table>/.exec(html)![0]).toContain('data-control="A.3.2"');
    expect(html).toContain('<p id="last-sweep">Bundle #3');
    expect(html).toMatch(/<p id="integrity">Integrity verification: never/);

    // This back-dated fixture store does not pass verification: the overview shows the failure as recorded.
    const run = await verifyIntegrity(fx.hub.store, { full: true, now: new Date() });
    expect(run.ok).toBe(false);
    html = await page();
    expect(html).toContain(
      `<p id="integrity" data-ok="false">Last full verification ${run.at} (bundles #1 to #3): <b>FAILED</b>`,
    );
    for (const problem of Object.keys(run.problems)) expect(html).toContain(`${problem} ×${run.problems[problem]}`);
  });

  it('filters controls by status and group with a plain GET form, and lists the clauses as a second table', async () => {
    const ids = (html: string, attr: string, table: string) =>
      tableRows(html, table).map((r) => new RegExp(`data-${attr}="([^"]+)"`).exec(r)![1]!);
    const all = await (await fetch(`${base}/controls`)).text();
    expect(all).toMatch(/<form method="get" action="\/controls">/);
    expect(ids(all, 'control', 'controls')).toHaveLength(38);
    const { results } = await controlStatus(fx.hub, {});
    const a3 = await (await fetch(`${base}/controls?group=A.3`)).text();
    expect(ids(a3, 'control', 'controls')).toEqual(
      results.filter((r) => r.control.group === 'A.3').map((r) => r.control.id),
    );
    expect(a3).toContain('<option value="A.3" selected>');
    const both = await (await fetch(`${base}/controls?group=A.3&status=missing`)).text();
    expect(ids(both, 'control', 'controls')).toEqual(['A.3.3']);
    // The folder source "docs" feeds exactly the controls of the rules that select folder records.
    const docs = ids(await (await fetch(`${base}/controls?source=docs`)).text(), 'control', 'controls');
    const folderFed = new Set(
      fx.hub.mappings.rules.filter((r) => r.sourceTypes.includes('folder')).flatMap((r) => r.controls),
    );
    expect(docs).toContain('A.3.2');
    expect(docs).toEqual(results.map((r) => r.control.id).filter((id) => folderFed.has(id)));
    expect(ids(await (await fetch(`${base}/controls?source=nope`)).text(), 'control', 'controls')).toEqual([]);
    const clauses = ids(all, 'clause', 'clauses');
    expect(clauses.length).toBeGreaterThan(0);
    expect(clauses.every((id) => /^\d/.test(id))).toBe(true);
    // The status filter narrows the clauses too.
    const missing = await (await fetch(`${base}/controls?status=current`)).text();
    expect(ids(missing, 'clause', 'clauses').length).toBeLessThan(clauses.length);
  });
});
