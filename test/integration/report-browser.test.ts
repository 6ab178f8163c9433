import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumFlags, exportAuditPack } from '../../evidence/export';
import { chromiumPath, hasChromium } from '../support/chromium';
import { FilesystemStore } from '../../evidence/fs-store';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

const artifacts = path.join(__dirname, '..', '..', 'test-artifacts');
const raci = 'system,owner\nchatbot,alice\nrecommender,bob\n';

/**
 * A store with three sweeps (January, February, April). Over a February-to-May window, A.3.2 (RACI) is current
 * throughout, A.6.2.6 (monitoring) ends stale after a current May, and A.2.3 has no evidence at all (A.2.2 has
 * its policy document, a design record, but no operating record: design-only since issue #16).
 */
async function seededStore(dir: string) {
  const store = await FilesystemStore.open(path.join(dir, 'store'));
  const key = newKey();
  const mappings = await loadMappings(
    expandMappingPaths(['default'], '/', mappingVocabulary(), new Set(['folder'])),
    mappingVocabulary(),
  );
  await writeBundle(
    store,
    key,
    mappings,
    'jan',
    { 'raci.csv': 'old\n', 'policies/ai-policy.md': '# AI policy\n' },
    new Date('2026-01-10T10:00:00Z'),
  );
  await writeBundle(
    store,
    key,
    mappings,
    'feb',
    { 'raci.csv': raci, 'policies/ai-policy.md': '# AI policy\n', 'monitoring/feb.md': 'drift ok\n' },
    new Date('2026-02-10T10:00:00Z'),
  );
  await writeBundle(
    store,
    key,
    mappings,
    'apr',
    { 'raci.csv': raci, 'monitoring/apr.md': 'drift high\n' },
    new Date('2026-04-10T10:00:00Z'),
  );
  return { store, key, mappings };
}

/** Exports a February-to-`to` pack at `now` and extracts it; returns the extracted pack folder. */
async function extractedPack(dir: string, name: string, to: string, now: string): Promise<string> {
  const { store, key, mappings } = await seededStore(dir);
  const out = path.join(dir, `${name}.tar.gz`);
  await exportAuditPack(
    {
      store,
      mappings,
      notApplicable: [
        {
          control: 'A.10.4',
          justification: 'No AI services for customers.',
          soa: { version: '3', approvedBy: 'Board', approvedOn: '2026-01-05' },
        },
      ],
    },
    { from: new Date('2026-02-01T00:00:00Z'), to: new Date(to), out, now: new Date(now), key },
  );
  const x = path.join(dir, 'x');
  await mkdir(x);
  expect(spawnSync('tar', ['xzf', out, '-C', x]).status).toBe(0);
  return path.join(x, name);
}

/** The colours an auditor sees, as the browser computes them (not read back from the report's own table). */
const rgb = { current: 'rgb(46, 125, 50)', stale: 'rgb(198, 40, 40)', missing: 'rgb(109, 109, 109)' } as const;

interface EndSegment {
  status: string | null;
  fill: string;
  width: number;
  left: number;
  right: number;
  barWidth: number;
  onTop: boolean;
}

/** The few browser globals the checks below use (the project's TypeScript has no DOM types). */
interface Box {
  left: number;
  right: number;
  top: number;
  width: number;
  height: number;
}
interface Drawn {
  getBoundingClientRect(): Box;
  getAttribute(name: string): string | null;
  ownerSVGElement: Drawn;
  textContent: string | null;
}
interface Browserside {
  document: {
    elementFromPoint(x: number, y: number): unknown;
    createRange(): { selectNodeContents(node: unknown): void; getClientRects(): Iterable<Box> };
  };
  getComputedStyle(el: unknown): { fill: string };
}

/**
 * What the browser draws for a summary row's end segment: colour, box (relative to its bar), and whether it
 * is what the eye meets at its centre (nothing drawn over it).
 */
async function endSegment(page: Page, control: string): Promise<EndSegment> {
  const end = page.locator(`tr[data-control="${control}"] svg rect.end`);
  await end.scrollIntoViewIfNeeded(); // elementFromPoint sees only the viewport
  return end.evaluate((el) => {
    const w = globalThis as unknown as Browserside;
    const r = el as unknown as Drawn;
    const box = r.getBoundingClientRect();
    const bar = r.ownerSVGElement.getBoundingClientRect();
    return {
      status: r.getAttribute('data-status'),
      fill: w.getComputedStyle(r).fill,
      width: box.width,
      left: box.left - bar.left,
      right: box.right - bar.left,
      barWidth: bar.width,
      onTop: w.document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) === r,
    };
  });
}

/** Where a summary row's grey "after the export time" block starts, relative to its bar. */
function greyStart(page: Page, control: string): Promise<number> {
  return page.locator(`tr[data-control="${control}"] svg rect.after-export`).evaluate((el) => {
    const r = el as unknown as Drawn;
    return r.getBoundingClientRect().left - r.ownerSVGElement.getBoundingClientRect().left;
  });
}

/** The text of every date element whose text lays out over more than one line. */
function wrappedDates(page: Page): Promise<(string | null)[]> {
  return page.locator('.d').evaluateAll((els) =>
    els
      .filter((el) => {
        const range = (globalThis as unknown as Browserside).document.createRange();
        range.selectNodeContents(el);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
      })
      .map((el) => (el as unknown as Drawn).textContent),
  );
}

describe.skipIf(!hasChromium)('audit pack report in a browser', () => {
  let browser: Browser;

  beforeAll(async () => {
    // Playwright adds --headless itself; every other flag is the one the PDF export uses.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: chromiumFlags.filter((f) => f !== '--headless'),
    });
    await mkdir(artifacts, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows 38 controls, links to a control page, and from there to the evidence blob inside the pack', async () => {
    const dir = await tempDir();
    const pack = await extractedPack(dir, 'pack', '2026-05-31T23:59:59.999Z', '2026-06-15T00:00:00Z');

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(path.join(pack, 'report', 'index.html')).href);
    await expect.poll(() => page.locator('#controls tbody tr[data-control]').count()).toBe(38);
    // Badges show the status words (reasons.ts statusText), not the ids: "evidence current", never "fresh".
    expect(await page.locator('tr[data-control="A.10.4"] .badge').innerText()).toBe('not applicable');
    expect(await page.locator('tr[data-control="A.3.2"] .badge').innerText()).toBe('evidence current');
    expect(await page.locator('tr[data-soa="A.10.4"]').innerText()).toContain('No AI services for customers.');
    expect(await page.locator('tr[data-soa="A.10.4"] .soa-approval').innerText()).toBe(
      'Statement of Applicability v3, approved by Board on 2026-01-05',
    );
    expect(await page.locator('#controls svg').count()).toBe(38);
    await page.screenshot({ path: path.join(artifacts, 'audit-pack-summary.png'), fullPage: true });

    await Promise.all([
      page.waitForURL(/controls\/A\.3\.2\.html$/),
      page.locator('#controls a', { hasText: 'A.3.2' }).click(),
    ]);
    expect(await page.locator('h1').innerText()).toContain('A.3.2');
    expect(await page.locator('#timeline tbody tr').count()).toBe(5); // Feb 1, Mar 1, Apr 1, May 1, May 31
    const row = page.locator('#evidence tr[data-artifact="docs:raci.csv"]').first();
    expect(await row.innerText()).toContain('2026-04-10');
    await page.screenshot({ path: path.join(artifacts, 'audit-pack-control.png'), fullPage: true });

    await Promise.all([page.waitForURL(/\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/), row.locator('a.blob').click()]);
    expect((await page.locator('body').innerText()).trim()).toBe(raci.trim());
    // Everything came from the extracted folder: no request left the machine.
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    await page.close();
  });

  it('each bar ends with the status at the export time, visible, for a current, a stale and a missing control', async () => {
    const dir = await tempDir();
    // The window ends before the export time: the end segment is the bar's right end.
    const pack = await extractedPack(dir, 'ended', '2026-05-31T23:59:59.999Z', '2026-06-15T00:00:00Z');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(path.join(pack, 'report', 'index.html')).href);
    for (const [control, status] of [
      ['A.3.2', 'current'],
      ['A.6.2.6', 'stale'], // current on May 1: only the end segment shows it went stale
      ['A.2.3', 'missing'],
    ] as const) {
      const end = await endSegment(page, control);
      expect(end, control).toMatchObject({ status, fill: rgb[status], onTop: true });
      expect(end.width, control).toBeGreaterThanOrEqual(4);
      expect(end.right, control).toBeCloseTo(end.barWidth, 0);
    }
    // The stretch before it keeps May's status: both are on the bar.
    const may = page.locator('tr[data-control="A.6.2.6"] svg rect:not(.end)').last();
    expect(await may.getAttribute('data-status')).toBe('current');
    expect(Number(await may.getAttribute('width'))).toBeGreaterThan(4);
    await page.close();
  });

  it('a window running past the export time ends the bar at the export time, not under the grey remainder', async () => {
    const dir = await tempDir();
    const pack = await extractedPack(dir, 'running', '2026-06-30T23:59:59.999Z', '2026-06-15T00:00:00Z');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(path.join(pack, 'report', 'index.html')).href);
    const from = Date.parse('2026-02-01T00:00:00Z');
    const exportAt = (Date.parse('2026-06-15T00:00:00Z') - from) / (Date.parse('2026-07-01T00:00:00Z') - from);
    for (const [control, status] of [
      ['A.3.2', 'current'],
      ['A.6.2.6', 'stale'],
      ['A.2.3', 'missing'],
    ] as const) {
      const end = await endSegment(page, control);
      expect(end, control).toMatchObject({ status, fill: rgb[status], onTop: true });
      expect(end.right / end.barWidth, control).toBeCloseTo(exportAt, 2);
      const grey = await greyStart(page, control);
      expect(grey, control).toBeCloseTo(end.right, 1);
    }
    await page.close();
  });

  it('printed at A4 width, every control row carries its reason and no date breaks over two lines', async () => {
    const dir = await tempDir();
    const pack = await extractedPack(dir, 'print', '2026-05-31T23:59:59.999Z', '2026-06-15T00:00:00Z');
    // 190 mm: A4 less the PDF's 10 mm side margins, at CSS's 96 px per inch.
    const page = await browser.newPage({ viewport: { width: Math.floor((190 / 25.4) * 96), height: 1100 } });
    await page.emulateMedia({ media: 'print' });
    await page.goto(pathToFileURL(path.join(pack, 'report', 'index.html')).href);
    expect(await page.locator('tr[data-control="A.6.2.6"] [data-reason]').innerText()).toMatch(/\S/);
    expect(await page.locator('#controls tr[data-control] [data-reason]').count()).toBe(38);
    // Each date element's text lays out on a single line (one distinct line top across its text boxes).
    const wrapped = await wrappedDates(page);
    expect(await page.locator('.d').count()).toBeGreaterThan(10);
    expect(wrapped).toEqual([]);
    await page.close();
  });
});
