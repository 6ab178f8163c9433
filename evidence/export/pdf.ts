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

/** The paper sizes `export --paper` offers; A4 by default (ISO/IEC 42001 audits are mostly outside the US). */
export const paperSizes = ['a4', 'letter'] as const;
export type PaperSize = (typeof paperSizes)[number];
export const defaultPaper: PaperSize = 'a4';

/** CSS page sizes, with margins wide enough for a binder and a hole punch. */
const pageCss: Record<PaperSize, string> = {
  a4: '@page{size:A4 portrait;margin:12mm 10mm}',
  letter: '@page{size:letter portrait;margin:0.5in 0.4in}',
};

export interface PdfOptions {
  /** Chromium binary (default: $CHROMIUM_PATH, else /usr/bin/chromium). */
  chromium?: string;
  /** Paper size (default A4). */
  paper?: PaperSize | undefined;
  timeoutMs?: number;
}

/**
 * The page as printed: an `@page` rule for the paper size, placed last in the head so it wins. Chromium's
 * --print-to-pdf takes the paper size from the page's CSS (it has no flag for it), else prints US Letter.
 */
export function withPaper(html: string, paper: PaperSize = defaultPaper): string {
  const style = `<style>${pageCss[paper]}</style>`;
  return html.includes('</head>') ? html.replace('</head>', `${style}\n</head>`) : style + html;
}

/**
 * Prints a self-contained HTML page to PDF with headless Chromium on the chosen paper (default A4), in a new
 * empty profile that is removed afterwards. Optional output: the archive never depends on it.
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
    await writeFile(page, withPaper(html, options.paper));
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
