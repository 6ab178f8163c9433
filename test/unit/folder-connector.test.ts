import { readFile, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { SourceConfigError } from '../../core/errors';
import { FolderConnector } from '../../connectors/folder/folder-connector';
import type { CollectionStep } from '../../connectors/types';
import { createLogger } from '../../worker/logger';
import { tempDir, writeTree } from '../support/tmp';

const log = createLogger({ level: 'silent' });

async function collect(
  root: string,
  opts: { include?: string[]; exclude?: string[]; resumeAfter?: string } = {},
): Promise<CollectionStep[]> {
  const c = new FolderConnector({
    sourceId: 'docs',
    root,
    include: opts.include ?? [],
    exclude: opts.exclude ?? ['**/.*', '**/.*/**'],
  });
  const out: CollectionStep[] = [];
  for await (const s of c.collect({ log, ...(opts.resumeAfter ? { resumeAfter: opts.resumeAfter } : {}) })) out.push(s);
  return out;
}

async function contentOf(step: CollectionStep): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of step.artifact.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('folder connector', () => {
  it('yields one artifact per file in whole-path byte order, with metadata and content', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'a-b.md': 'plain',
      'a/z.md': '---\ntype: ai-policy\neffective_date: 2026-02-10\nowner: "Risk: Office"\n---\n# Policy\n',
      'registers/raci.csv': 'a,b\n',
      '.hidden': 'x',
      '.git/config': 'x',
    });
    const mtime = new Date('2026-05-05T05:05:05Z');
    await utimes(path.join(dir, 'a-b.md'), mtime, mtime);
    const steps = await collect(dir);
    expect(steps.map((s) => s.cursor)).toEqual(['a-b.md', 'a/z.md', 'registers/raci.csv']);
    const [plain, policy, csv] = steps.map((s) => s.artifact.meta);
    expect(plain).toMatchObject({
      externalId: 'a-b.md',
      kind: 'document',
      mediaType: 'text/markdown',
      observedAt: mtime.toISOString(),
    });
    expect(plain!.attributes).toMatchObject({ path: 'a-b.md', observedAtFrom: 'mtime', mtime: mtime.toISOString() });
    expect(policy!.observedAt).toBe('2026-02-10T00:00:00.000Z');
    expect(policy!.attributes).toMatchObject({
      observedAtFrom: 'front-matter:effective_date',
      directory: 'a',
      frontMatter: { type: 'ai-policy', owner: 'Risk: Office', effective_date: '2026-02-10' },
    });
    expect(csv!.mediaType).toBe('text/csv');
    expect(policy!.provenance).toEqual({
      endpoint: `file://${path.join(dir, 'a', 'z.md')}`,
      collector: 'folder@1.0.0',
    });
    expect(await contentOf(steps[1]!)).toBe(await readFile(path.join(dir, 'a', 'z.md'), 'utf8'));
  });

  it('resumes after a cursor without repeating or skipping files', async () => {
    const dir = await tempDir();
    await writeTree(dir, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`d${i % 3}/f${i}.txt`, String(i)])));
    const all = (await collect(dir)).map((s) => s.cursor);
    const firstPart = all.slice(0, 11);
    const rest = (await collect(dir, { resumeAfter: firstPart.at(-1)! })).map((s) => s.cursor);
    expect([...firstPart, ...rest]).toEqual(all);
    expect(all).toHaveLength(30);
  });

  it('applies include and exclude globs', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'policies/a.md': '1', 'policies/draft/b.md': '2', 'other/c.md': '3' });
    const steps = await collect(dir, { include: ['policies/**'], exclude: ['**/draft/**'] });
    expect(steps.map((s) => s.cursor)).toEqual(['policies/a.md']);
  });

  it('skips symlinks, which could lead outside the configured folder', async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    await writeTree(outside, { 'secret.txt': 'do not collect' });
    await writeTree(dir, { 'ok.md': 'fine' });
    await symlink(path.join(outside, 'secret.txt'), path.join(dir, 'link.txt'));
    await symlink(outside, path.join(dir, 'linked-dir'));
    expect((await collect(dir)).map((s) => s.cursor)).toEqual(['ok.md']);
  });

  it('reads PDF metadata, and keeps collecting a document whose metadata is unreadable', async () => {
    const dir = await tempDir();
    const pdf = await PDFDocument.create();
    pdf.addPage();
    pdf.setTitle('Supplier review');
    pdf.setAuthor('Procurement');
    pdf.setModificationDate(new Date('2026-03-03T00:00:00Z'));
    await writeTree(dir, {
      'review.pdf': Buffer.from(await pdf.save()),
      'broken.pdf': 'not a pdf',
      'bad.md': '---\n: [\n---\n',
    });
    const steps = await collect(dir);
    const byPath = Object.fromEntries(steps.map((s) => [s.cursor, s.artifact.meta.attributes]));
    expect(byPath['review.pdf']!['pdf']).toMatchObject({
      title: 'Supplier review',
      author: 'Procurement',
      modificationDate: '2026-03-03T00:00:00.000Z',
      pageCount: 1,
    });
    expect(byPath['broken.pdf']!['metadataError']).toMatch(/PDF metadata unreadable/);
    expect(byPath['bad.md']!['metadataError']).toMatch(/front matter is not valid YAML/);
  });

  it('dates a document by its effective, approval or review date, or its PDF dates, and says which', async () => {
    const dir = await tempDir();
    const pdf = await PDFDocument.create();
    pdf.addPage();
    pdf.setCreationDate(new Date('2026-01-12T00:00:00Z'));
    pdf.setModificationDate(new Date('2026-01-12T00:00:00Z'));
    await writeTree(dir, {
      'approved.md': '---\napproved: 2026-04-01\napproved_by: Chief Risk Officer\nstatus: Approved\n---\n',
      'effective.md': '---\neffective_date: 2026-02-01\napproval_date: 2026-01-20\n---\n',
      'reviewed.md': '---\napproved: true\nreview_date: 2026-05-05\nstatus: draft\n---\n',
      'objectives.pdf': Buffer.from(await pdf.save()),
      'plain.md': 'no front matter',
      'raci.csv': 'a,b\n',
      'raci.csv.meta.yaml': 'type: raci\neffective_date: 2026-03-03\napprover: COO\n',
      'lonely.meta.yaml': 'x: 1\n',
    });
    const steps = await collect(dir);
    expect(steps.map((s) => s.cursor)).toEqual([
      'approved.md',
      'effective.md',
      'lonely.meta.yaml',
      'objectives.pdf',
      'plain.md',
      'raci.csv',
      'reviewed.md',
    ]);
    const by = Object.fromEntries(steps.map((s) => [s.cursor, s.artifact.meta]));
    expect(by['approved.md']).toMatchObject({
      observedAt: '2026-04-01T00:00:00.000Z',
      attributes: { dateSource: 'approved', approvedBy: 'Chief Risk Officer', documentStatus: 'approved' },
    });
    expect(by['effective.md']).toMatchObject({
      observedAt: '2026-02-01T00:00:00.000Z',
      attributes: { dateSource: 'effective' },
    });
    expect(by['reviewed.md']).toMatchObject({
      observedAt: '2026-05-05T00:00:00.000Z',
      attributes: { dateSource: 'reviewed', documentStatus: 'draft' },
    });
    expect(by['objectives.pdf']).toMatchObject({
      observedAt: '2026-01-12T00:00:00.000Z',
      attributes: { dateSource: 'pdf-modified', observedAtFrom: 'pdf.modificationDate' },
    });
    expect(by['plain.md']!.attributes).toMatchObject({ dateSource: 'file-time', observedAtFrom: 'mtime' });
    expect(by['raci.csv']).toMatchObject({
      observedAt: '2026-03-03T00:00:00.000Z',
      attributes: { dateSource: 'effective', approvedBy: 'COO', frontMatter: { type: 'raci' } },
    });
  });

  it('a missing folder is a configuration error naming the source', async () => {
    const err = await collect('/nonexistent/evidence-hub-test').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceConfigError);
    expect((err as Error).message).toContain('source "docs": folder /nonexistent/evidence-hub-test does not exist');
  });
});
