import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const defaultChromium = '/usr/bin/chromium';

/** Flags for a headless Chromium that talks to nobody: no sync, no updates, no background fetches. */
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface PdfOptions {
  /** Chromium binary (default: $CHROMIUM_PATH, else /usr/bin/chromium). */
  chromium?: string;
  timeoutMs?: number;
}

/**
 * Prints a self-contained HTML page to PDF with headless Chromium, in a fresh empty profile that is
 * removed afterwards. Optional output: the archive never depends on it.
 */
export async function htmlToPdf(html: string, out: string, options: PdfOptions = {}): Promise<void> {
  const chromium = options.chromium ?? process.env['CHROMIUM_PATH'] ?? defaultChromium;
  try {
    await access(chromium);
  } catch {
    throw new Error(
      `PDF output needs Chromium at ${chromium} (Debian: apt-get install chromium, or set CHROMIUM_PATH)`,
    );
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'evidence-hub-pdf-'));
  try {
    const page = path.join(work, 'summary.html');
    await writeFile(page, html);
    const profile = path.join(work, 'profile');
    await mkdir(profile);
    const pdf = path.resolve(out);
    await mkdir(path.dirname(pdf), { recursive: true });
    const args = [
      ...chromiumFlags,
      `--user-data-dir=${profile}`,
      '--no-pdf-header-footer',
      `--print-to-pdf=${pdf}`,
      pathToFileURL(page).href,
    ];
    await new Promise<void>((resolve, reject) => {
      execFile(
        chromium,
        args,
        { timeout: options.timeoutMs ?? 120_000, env: { ...process.env, HOME: work } },
        (err, _stdout, stderr) => {
          if (err)
            reject(
              new Error(
                `Chromium could not print the PDF (${err.message.split('\n')[0]}): ${String(stderr).trim().split('\n').slice(-3).join(' | ')}`,
              ),
            );
          else resolve();
        },
      );
    });
    const st = await stat(pdf).catch(() => undefined);
    if (!st || st.size === 0) throw new Error(`Chromium exited without writing ${pdf}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
