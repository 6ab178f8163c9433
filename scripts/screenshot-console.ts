// Takes the README's screenshot of the console overview: `npx tsx scripts/screenshot-console.ts URL OUT.png`,
// with URL a running console (`npm run demo -- --serve` prints it; no sign-in there).
import { chromium } from 'playwright-core';
import { chromiumFlags, defaultChromium } from '../evidence/export';

async function main(url: string, out: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: defaultChromium,
    headless: true,
    args: chromiumFlags.filter((f) => f !== '--headless'),
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(url);
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
}

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  process.stderr.write('usage: tsx scripts/screenshot-console.ts URL OUT.png\n');
  process.exit(2);
}
main(url, out).catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
