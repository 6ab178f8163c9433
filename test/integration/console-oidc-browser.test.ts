import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumFlags, defaultChromium } from '../../evidence/export';
import { browserArtifacts as artifacts, signInAtProvider } from '../support/console-browser';
import { consoleWithOidc, type OidcConsoleFixture } from '../support/console-oidc-fixture';
import type { OidcAccount } from '../support/oidc-provider';
import { suiteDir } from '../support/tmp';

describe.skipIf(!existsSync(defaultChromium))('web console sign-in through a real OpenID provider, in Chromium', () => {
  let browser: Browser;
  let fx: OidcConsoleFixture;

  const signIn = (page: Page, account: OidcAccount) => signInAtProvider(page, fx, account);

  beforeAll(async () => {
    fx = await consoleWithOidc(await suiteDir());
    browser = await chromium.launch({
      executablePath: defaultChromium,
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

  it('an operator signs in at the provider, lands on the overview and sees 38 controls', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, 'olga');
    expect(await page.locator('h1').innerText()).toBe('Readiness overview');
    expect(await page.locator('header .who').innerText()).toContain('olga@example.test (operator)');
    expect(await page.locator('#start-sweep').count()).toBe(1);
    await page.screenshot({ path: path.join(artifacts, 'console-oidc-operator-overview.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${fx.base}/controls`), page.getByRole('link', { name: 'Controls' }).click()]);
    await expect.poll(() => page.locator('#controls tbody tr[data-control]').count()).toBe(38);
    await page.screenshot({ path: path.join(artifacts, 'console-oidc-operator-controls.png'), fullPage: true });

    // The session cookie is out of the page's reach and sent on top-level navigations from elsewhere (Lax).
    const session = (await context.cookies(fx.base)).find((c) => c.name === 'eh_session')!;
    expect([session.httpOnly, session.sameSite]).toEqual([true, 'Lax']);
    expect((await context.cookies(fx.base)).some((c) => c.name === 'eh_oidc')).toBe(false);
    await context.close();
  });

  it('a viewer signed in at the provider has no sweep button, and the API answers 403 to their sweep', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The sign-in page with its single sign-on link passes axe too (no serious or critical finding).
    await page.goto(`${fx.base}/signin`);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await signIn(page, 'vera');
    expect(await page.locator('header .who').innerText()).toContain('vera@example.test (viewer)');
    expect(await page.locator('#start-sweep').count()).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'console-oidc-viewer-overview.png'), fullPage: true });

    // The browser's own session (its cookie) and CSRF token, as a script on the page would send them.
    const csrf = await page.locator('header form input[name="csrf"]').getAttribute('value');
    const sweep = await context.request.post(`${fx.base}/api/v1/sweeps`, {
      headers: { 'X-CSRF-Token': csrf!, 'Content-Type': 'application/json' },
      data: {},
      maxRedirects: 0,
    });
    expect(sweep.status()).toBe(403);
    expect(await sweep.json()).toEqual({ error: 'starting a sweep needs the operator role' });

    // Signing out ends the session: the next visit goes back to the sign-in page.
    await Promise.all([page.waitForURL(`${fx.base}/signin`), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(`${fx.base}/controls`);
    expect(page.url()).toBe(`${fx.base}/signin`);
    await context.close();
  });
});
