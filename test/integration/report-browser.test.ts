import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumFlags, defaultChromium, exportAuditPack } from '../../evidence/export';
import { FilesystemStore } from '../../evidence/fs-store';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { newKey, writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

const artifacts = path.join(__dirname, '..', '..', 'test-artifacts');
const raci = 'system,owner\nchatbot,alice\nrecommender,bob\n';

/** The report as an auditor sees it: opened from the extracted archive in a real (headless) Chromium. */
describe.skipIf(!existsSync(defaultChromium))('audit pack report in a browser', () => {
  let browser: Browser;

  beforeAll(async () => {
    // Playwright adds --headless itself; every other flag is the one the PDF export uses.
    browser = await chromium.launch({
      executablePath: defaultChromium,
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
    const out = path.join(dir, 'pack.tar.gz');
    await exportAuditPack(
      { store, mappings, notApplicable: [{ control: 'A.10.4', justification: 'No AI services for customers.' }] },
      {
        from: new Date('2026-02-01T00:00:00Z'),
        to: new Date('2026-05-31T23:59:59.999Z'),
        out,
        now: new Date('2026-06-15T00:00:00Z'),
        key,
      },
    );
    const x = path.join(dir, 'x');
    await mkdir(x);
    expect(spawnSync('tar', ['xzf', out, '-C', x]).status).toBe(0);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(path.join(x, 'pack', 'report', 'index.html')).href);
    await expect.poll(() => page.locator('#controls tbody tr[data-control]').count()).toBe(38);
    expect(await page.locator('tr[data-control="A.10.4"] .badge').innerText()).toBe('not-applicable');
    expect(await page.locator('tr[data-soa="A.10.4"]').innerText()).toContain('No AI services for customers.');
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
});
