import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { OidcAccount } from './oidc-provider';

/** Where the browser tests keep their screenshots (a CI artifact). */
export const browserArtifacts = path.join(__dirname, '..', '..', 'test-artifacts');

/**
 * Signs `account` in as a person does: the console sends an unknown visitor to its sign-in page, the
 * single sign-on link leads to the provider's own login page and consent page, and the provider sends the
 * browser back to the console's overview. Screenshots of each step go to test-artifacts/.
 */
export async function signInAtProvider(
  page: Page,
  fx: { base: string; idp: { issuer: string } },
  account: OidcAccount,
): Promise<void> {
  await page.goto(`${fx.base}/`);
  await expect.poll(() => page.url()).toBe(`${fx.base}/signin`);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(`${fx.idp.issuer}/interaction/`)),
    page.getByRole('link', { name: 'Sign in with your organisation’s account' }).click(),
  ]);
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill('correct horse battery staple');
  await page.screenshot({ path: path.join(browserArtifacts, `console-oidc-${account}-provider-login.png`) });
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await expect.poll(() => page.locator('input[name="prompt"][value="consent"]').count()).toBe(1);
  await page.screenshot({ path: path.join(browserArtifacts, `console-oidc-${account}-provider-consent.png`) });
  await Promise.all([page.waitForURL(`${fx.base}/`), page.getByRole('button', { name: 'Continue' }).click()]);
}
