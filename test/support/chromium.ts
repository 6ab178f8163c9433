import { existsSync } from 'node:fs';
import { defaultChromium } from '../../evidence/export';

/**
 * The Chromium the browser tests drive: `$CHROMIUM_PATH`, as the PDF export reads it (evidence/export/pdf.ts),
 * else Debian's /usr/bin/chromium. Without one the browser tests skip, and CI's skip gate
 * (scripts/check-skips.sh) fails on those skips unless test/allowed-skips.txt lists them.
 */
export const chromiumPath = process.env['CHROMIUM_PATH'] || defaultChromium;

/** Whether the browser tests can run here. */
export const hasChromium = existsSync(chromiumPath);
