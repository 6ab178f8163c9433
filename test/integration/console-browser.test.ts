import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumFlags } from '../../evidence/export';
import { chromiumPath, hasChromium } from '../support/chromium';
import { consoleOn, tokens, type ConsoleFixture } from '../support/console-fixture';
import { sealNow } from '../support/hub-fixture';
import { suiteDir } from '../support/tmp';

const artifacts = path.join(__dirname, '..', '..', 'test-artifacts');

/** Signs in through the form, as a person would. */
async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/`);
  await expect.poll(() => page.url()).toBe(`${base}/signin`);
  await page.getByLabel('Access token').fill(token);
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** axe-core's serious and critical findings on the page, as "rule: target" lines (empty when none). */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`));
}

describe.skipIf(!hasChromium)('web console in a browser', () => {
  let browser: Browser;
  let fx: ConsoleFixture;

  beforeAll(async () => {
    fx = await consoleOn(await suiteDir());
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: chromiumFlags.filter((f) => f !== '--headless'),
    });
    await mkdir(artifacts, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await fx?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('with JavaScript off, signs in with a token, lists 38 controls and opens a control page', async () => {
    const context: BrowserContext = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await signIn(page, fx.base, tokens.operator);
    expect(await page.locator('h1').innerText()).toBe('Readiness overview');
    expect(await page.locator('#start-sweep').count()).toBe(1);
    expect(await page.locator('#next-audit').innerText()).toContain('No audit calendar');
    expect(await page.locator('#integrity').innerText()).toContain('never');
    await page.screenshot({ path: path.join(artifacts, 'console-overview.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${fx.base}/controls`), page.getByRole('link', { name: 'Controls' }).click()]);
    await expect.poll(() => page.locator('#controls tbody tr[data-control]').count()).toBe(38);
    await page.screenshot({ path: path.join(artifacts, 'console-controls.png'), fullPage: true });

    await Promise.all([
      page.waitForURL(`${fx.base}/controls/A.3.2`),
      page.locator('#controls a', { hasText: /^A\.3\.2$/ }).click(),
    ]);
    expect(await page.locator('h1').innerText()).toContain('A.3.2');
    expect(await page.locator('#reason').innerText()).toMatch(/\S/);
    // The status timeline is the audit pack's server-drawn SVG: there without scripts.
    expect(await page.locator('#timeline-bar svg rect[data-status]').count()).toBeGreaterThan(0);
    expect(await page.locator('#evidence tr[data-artifact="docs:raci.csv"] a.blob').getAttribute('href')).toMatch(
      /^\/blobs\/[0-9a-f]{64}$/,
    );
    await page.screenshot({ path: path.join(artifacts, 'console-control.png'), fullPage: true });
    // Nothing here depends on scripts: the pages carry none.
    expect(await page.locator('script').count()).toBe(0);
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('a viewer sees no sweep button; axe finds no serious or critical violation on any page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The check can fail: an image without alternative text is a critical finding.
    await page.setContent('<!DOCTYPE html><html lang="en"><title>t</title><main><img src="x.png"></main></html>');
    expect(await seriousViolations(page)).toEqual([expect.stringMatching(/^image-alt \(critical\)/)]);
    await page.goto(`${fx.base}/signin`);
    expect(await seriousViolations(page)).toEqual([]);
    await signIn(page, fx.base, tokens.viewer);
    expect(await page.locator('#start-sweep').count()).toBe(0);
    for (const p of ['/', '/controls', '/controls?status=missing', '/controls/A.3.2', '/controls/A.6.2.6']) {
      await page.goto(`${fx.base}${p}`);
      expect(await seriousViolations(page), p).toEqual([]);
    }
    // A newly sealed bundle: the next page is the earlier evaluation with its notice (while the new head is
    // evaluated in the background), and the notice passes axe too.
    await sealNow(fx, 'b2', { 'raci.csv': 'a,b\n' });
    await page.goto(`${fx.base}/controls`);
    expect(await page.locator('#reevaluating').innerText()).toMatch(/^Showing earlier results of bundle #1 /);
    expect(await seriousViolations(page), '/controls with the re-evaluation notice').toEqual([]);
    await context.close();
  });
});
