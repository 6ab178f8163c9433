import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumFlags, defaultChromium } from '../../evidence/export';
import { readManifest } from '../../evidence/index';
import { fingerprintOf } from '../../evidence/trust/fingerprint';
import { initSigningKey } from '../../worker/hub';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import { browserArtifacts as artifacts, signInAtProvider } from '../support/console-browser';
import { consoleWithOidc, oidcViewerToken, type OidcConsoleFixture } from '../support/console-oidc-fixture';
import { quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { runCli } from '../support/processes';
import { writeBundle } from '../support/store-fixture';
import { suiteDir } from '../support/tmp';

const DAY = 86_400_000;

async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/signin`);
  await page.getByLabel('Access token').fill(token);
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole('button', { name: 'Sign in' }).click()]);
}

async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`));
}

/** The text of an element on a page that may be reloading itself (Refresh header): undefined mid-reload. */
const textOf = (page: Page, selector: string) =>
  page
    .locator(selector)
    .innerText({ timeout: 1000 })
    .catch(() => undefined);

/**
 * The console's journey in real Chromium (issue 20): sign-in at a real OpenID provider on loopback, the
 * controls, a stale control, a sweep scoped to one source on a real Temporal dev server and worker, an
 * upload, an audit pack downloaded and verified; a screenshot of each step in test-artifacts/.
 */
describe.skipIf(!existsSync(defaultChromium))('console operator journey in Chromium, on Temporal', () => {
  let env: TestWorkflowEnvironment;
  let fx: OidcConsoleFixture;
  let worker: Worker;
  let running: Promise<void>;
  let browser: Browser;

  beforeAll(async () => {
    env = await startDevServer();
    fx = await consoleWithOidc(await suiteDir(), {
      config: [
        `temporal: { address: "${env.address}", taskQueue: console-flow-${randomBytes(4).toString('hex')} }`,
        'signing: { key: { file: ./keys/signing.pem } }',
      ],
      sources: ['  - { id: records, type: manual, path: ./records }'],
    });
    // The RACI (365-day freshness) observed and sealed 400 days ago: A.3.2 is stale. The key was made before
    // (`keys init` then): a pack verifies only when each bundle's key was valid when it signed.
    const { key } = await initSigningKey(fx.hub.config, fx.hub.store, new Date(Date.now() - 401 * DAY));
    const raci = { 'raci.csv': 'system,owner\nchatbot,alice\n' };
    await writeBundle(fx.hub.store, key, fx.hub.mappings, 'b1', raci, new Date(Date.now() - 400 * DAY));
    worker = await createHubWorker(fx.hub, await signingKey(fx.hub), quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
    browser = await chromium.launch({
      executablePath: defaultChromium,
      headless: true,
      args: chromiumFlags.filter((f) => f !== '--headless'),
    });
    await mkdir(artifacts, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    worker?.shutdown();
    await running;
    await fx?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
    await env?.teardown();
  });

  it('an operator signs in at the provider, sees 38 controls, opens a stale one, sweeps one source and watches it finish, files a record, downloads a pack that verifies', async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInAtProvider(page, fx, 'olga');
    expect(await page.locator('header .who').innerText()).toContain('olga@example.test (operator)');
    await page.screenshot({ path: path.join(artifacts, 'console-flow-overview.png'), fullPage: true });

    await Promise.all([page.waitForURL(`${fx.base}/controls`), page.getByRole('link', { name: 'Controls' }).click()]);
    await expect.poll(() => page.locator('#controls tbody tr[data-control]').count()).toBe(38);
    await page.screenshot({ path: path.join(artifacts, 'console-flow-controls.png'), fullPage: true });

    // The stale control, from the list filtered by status (a GET form: no script).
    await page.getByLabel('Status', { exact: true }).selectOption('stale');
    await Promise.all([
      page.waitForURL(/\/controls\?status=stale/),
      page.getByRole('button', { name: 'Filter' }).click(),
    ]);
    const stale = page.locator('#controls tbody tr[data-control="A.3.2"] a');
    await Promise.all([page.waitForURL(`${fx.base}/controls/A.3.2`), stale.click()]);
    expect(await page.locator('h1 + p .badge.s-stale').count()).toBe(1);
    expect(await page.locator('#reason').innerText()).toMatch(/\S/);
    await page.screenshot({ path: path.join(artifacts, 'console-flow-control.png'), fullPage: true });

    // A sweep scoped to one source, started from the sweeps page; its page reloads itself until it is done.
    await page.getByRole('link', { name: 'Sweeps' }).click();
    await page.getByLabel('docs', { exact: true }).check();
    await Promise.all([page.waitForURL(/\/sweeps\/sweep-[\w.-]+$/), page.locator('#start-scoped-sweep').click()]);
    await expect.poll(() => textOf(page, '#sweep-status'), { timeout: 60_000, interval: 500 }).toBe('completed');
    expect(await page.locator('#sweep-sources tr[data-source="docs"] .state').innerText()).toBe('done');
    // Scoped: the other configured source was not collected.
    expect(await page.locator('#sweep-sources tr[data-source="records"]').count()).toBe(0);
    expect(await page.locator('#sweep-bundle').innerText()).toMatch(/^#2 /);
    await page.screenshot({ path: path.join(artifacts, 'console-flow-sweep.png'), fullPage: true });

    // A record filed by topic, as `evidence-hub upload` would file it, by the signed-in operator.
    await page.getByRole('link', { name: 'Uploads' }).click();
    await page.locator('#upload-topic').fill('training');
    await page.locator('#upload-date').fill('2026-01-15');
    await page
      .locator('#upload-file')
      .setInputFiles({ name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from('name\nalice\n') });
    await page.locator('#upload-submit').click();
    await expect.poll(() => textOf(page, '#upload-result')).toMatch(/^Filed: 2026-01-15-roster\.csv in records/);
    await page.screenshot({ path: path.join(artifacts, 'console-flow-upload.png'), fullPage: true });

    // The audit pack, downloaded and checked with `evidence-hub verify` and the key's fingerprint.
    await page.getByRole('link', { name: 'Export' }).click();
    await page.locator('#export-from').fill('2020-01-01');
    await page.locator('#export-to').fill('2099-12-31');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-submit').click()]);
    await page.screenshot({ path: path.join(artifacts, 'console-flow-export.png'), fullPage: true });
    const out = path.join(fx.dir, 'downloaded');
    await mkdir(out, { recursive: true });
    await download.saveAs(path.join(out, download.suggestedFilename()));
    expect(spawnSync('tar', ['xzf', download.suggestedFilename()], { cwd: out }).status).toBe(0);
    const [root] = (await readdir(out, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    const fingerprint = fingerprintOf((await signingKey(fx.hub)).publicKeyPem);
    const verified = await runCli(['verify', path.join(out, root!), '--trust', `sha256:${fingerprint}`]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    // Every action above is in the next sealed bundle, signed, with who did it.
    await page.getByRole('link', { name: 'Sweeps' }).click();
    await page.getByLabel('Controls (glob, optional, as sweep --controls)').fill('A.4.*');
    await Promise.all([page.waitForURL(/\/sweeps\/sweep-[\w.-]+$/), page.locator('#start-scoped-sweep').click()]);
    await expect.poll(() => textOf(page, '#sweep-status'), { timeout: 60_000, interval: 500 }).toBe('completed');
    const sealed = await readManifest(fx.hub.store, 3);
    expect(sealed?.operatorActions?.map((a) => [a.action, a.by])).toEqual(
      expect.arrayContaining([
        ['record-uploaded', 'olga@example.test'],
        ['pack-exported', 'olga@example.test'],
      ]),
    );
    await context.close();
  });

  it('a viewer gets no action forms, and axe finds no serious or critical violation on the new pages', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, fx.base, oidcViewerToken);
    for (const p of ['/sweeps', '/uploads', '/exports', '/alerts']) {
      await page.goto(`${fx.base}${p}`);
      expect(await seriousViolations(page), p).toEqual([]);
    }
    await page.goto(`${fx.base}/sweeps`);
    expect(await page.locator('#start-scoped-sweep').count()).toBe(0);
    const firstSweep = page.locator('#sweeps tbody tr[data-sweep] a').first();
    await Promise.all([page.waitForURL(/\/sweeps\/sweep-/), firstSweep.click()]);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await page.locator('#cancel-sweep').count()).toBe(0);
    await page.goto(`${fx.base}/uploads`);
    expect(await page.locator('#upload-submit').count()).toBe(0);
    await page.goto(`${fx.base}/exports`);
    expect(await page.locator('#export-submit').count()).toBe(0);
    await context.close();

    // The operator's forms pass axe too.
    const operator = await browser.newContext();
    const op = await operator.newPage();
    await signInAtProvider(op, fx, 'olga');
    for (const p of ['/sweeps', '/uploads', '/exports']) {
      await op.goto(`${fx.base}${p}`);
      expect(await seriousViolations(op), p).toEqual([]);
    }
    await operator.close();
  });
});
