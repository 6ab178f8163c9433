import { documentDating } from '../../document-dating';
import { pdfMetadataOf } from '../../folder/document-metadata';
import picomatch from 'picomatch';
import { fingerprint } from '../../../core/digest';
import type { JsonValue } from '../../../core/json';
import { mediaTypeFor } from '../../../core/media-types';
import { codeUnitOrder } from '../../../core/order';
import { treeSchema } from '../api-schemas';
import {
  absentCodeowners,
  codeownersAttributes,
  codeownersPaths,
  fileAttributes,
  type LastCommit,
} from '../normalize/files';
import type { RepoState } from '../state';
import type { CollectContext, Emitted, RepoCtx, Run, Step } from './context';
import { blob, enc, fileLastCommit, mapLimit, ok } from './requests';

/**
 * CODEOWNERS and the files matching `collect.files`, from the default branch's tree. A file whose blob
 * sha did not change is re-emitted from the store; the resume point is the last path yielded.
 */
export async function* collectTree(
  cx: CollectContext,
  ctx: RepoCtx,
  prev: RepoState['tree'],
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, RepoState['tree']> {
  const wantCodeowners = cx.cfg.collect.codeowners;
  const files = cx.cfg.collect.files;
  const full = ctx.repo.fullName;
  const branch = ctx.repo.defaultBranch;
  const resumeAfter = typeof at === 'string' ? at : undefined;
  const skip = (key: string) => resumeAfter !== undefined && key <= resumeAfter;
  const coKey = '\u0000codeowners';
  const scope = fingerprint({ wantCodeowners, files }, 16);
  const usable = prev?.scope === scope ? prev : undefined;
  const spec = run.spec(ctx);
  const treeUrl = `${ctx.base}/git/trees/${enc(branch)}?recursive=1`;
  // 404: the branch does not exist; 409: the repository is empty. Both: no files.
  const res = await cx.client.get(treeUrl, treeSchema, {
    ...spec,
    allow: [404, 409],
    ...(usable?.etag ? { etag: usable.etag } : {}),
  });
  const date = cx.dateOf(res.date, run);
  const etag = res.kind === 'ok' || res.kind === 'not-modified' ? (res as { etag?: string }).etag : undefined;
  const include = files ? picomatch(files.include, { dot: true }) : () => false;
  const exclude = files && files.exclude.length > 0 ? picomatch(files.exclude, { dot: true }) : () => false;

  if (res.kind === 'not-modified' && usable) {
    const nextState = { ...usable, files: { ...usable.files } };
    if (wantCodeowners && usable.codeowners && !skip(coKey)) {
      const e = cx.reemit(usable.codeowners.item, { observedAt: date, ...(etag ? { etag } : {}) });
      nextState.codeowners = { ...usable.codeowners, item: e.stored };
      yield { artifact: e.artifact, at: coKey };
    }
    for (const p of Object.keys(usable.files).sort()) {
      if (skip(p)) continue;
      const e = cx.reemit(usable.files[p]!.item, {});
      yield { artifact: e.artifact, at: p };
    }
    return resumeAfter !== undefined ? prev : nextState;
  }

  const entries = res.kind === 'ok' ? ok(res).data.tree.filter((e) => e.type === 'blob') : [];
  if (res.kind === 'ok' && ok(res).data.truncated) {
    cx.log.warn(
      { source: cx.cfg.id, repository: full },
      'the repository tree is too large for one answer (truncated): some files may be missed',
    );
  }
  const nextState: NonNullable<RepoState['tree']> = { ...(etag ? { etag } : {}), scope, files: {} };
  if (wantCodeowners && !skip(coKey)) {
    const entry = codeownersPaths.map((p) => entries.find((e) => e.path === p)).find((e) => e !== undefined);
    let e: Emitted;
    if (!entry) {
      e = cx.emitJson('codeowners', `${full}/codeowners`, date, treeUrl, etag, absentCodeowners(full, branch));
    } else if (usable?.codeowners?.blobSha === entry.sha) {
      e = cx.reemit(usable.codeowners.item, { observedAt: date, ...(etag ? { etag } : {}) });
    } else {
      const [content, last] = await Promise.all([
        blob(cx, ctx, entry.sha, spec),
        fileLastCommit(cx, ctx, entry.path, spec),
      ]);
      const attributes = codeownersAttributes(full, entry.path, content.toString('utf8'), entry.sha, last);
      e = cx.emitBytes(
        'codeowners',
        `${full}/codeowners`,
        date,
        `${ctx.base}/contents/${entry.path}`,
        etag,
        content,
        'text/plain',
        attributes,
      );
    }
    nextState.codeowners = { ...(entry ? { blobSha: entry.sha } : {}), item: e.stored };
    yield { artifact: e.artifact, at: coKey };
  }
  if (files) {
    const matched = entries
      .filter((e) => include(e.path) && !exclude(e.path))
      .sort((a, b) => codeUnitOrder(a.path, b.path));
    const width = cx.cfg.requests.concurrency;
    for (let i = 0; i < matched.length; i += width) {
      const batch = matched.slice(i, i + width).filter((e) => !skip(e.path));
      const results = await mapLimit(batch, width, async (entry): Promise<Emitted | undefined> => {
        const before = usable?.files[entry.path];
        if (before && before.blobSha === entry.sha) return cx.reemit(before.item, {});
        if ((entry.size ?? 0) > files.maxBytes) {
          cx.log.warn(
            { source: cx.cfg.id, repository: full, path: entry.path, size: entry.size },
            'file larger than collect.files.maxBytes: not collected',
          );
          return undefined;
        }
        const [content, last] = await Promise.all([
          blob(cx, ctx, entry.sha, spec),
          fileLastCommit(cx, ctx, entry.path, spec),
        ]);
        const lastCommit: LastCommit = last ?? { sha: '', at: date, author: null };
        const attributes = fileAttributes(full, entry.path, entry.sha, content.length, lastCommit, content);
        // Dated like a folder document: front matter (or PDF metadata), else the commit time, unverified.
        const pdf = mediaTypeFor(entry.path) === 'application/pdf' ? await pdfMetadataOf(content) : {};
        if (pdf.pdf) attributes['pdf'] = pdf.pdf;
        const fm = attributes['frontMatter'];
        const dating = documentDating(
          {
            ...(fm && typeof fm === 'object' && !Array.isArray(fm)
              ? { frontMatter: fm as Record<string, JsonValue> }
              : {}),
            ...(pdf.pdf ? { pdf: pdf.pdf } : {}),
          },
          { iso: lastCommit.at, from: last ? 'last-commit' : 'response-date' },
        );
        Object.assign(attributes, dating.attributes);
        return cx.emitBytes(
          'file',
          `${full}/file/${entry.path}`,
          dating.observedAt,
          `${ctx.base}/contents/${entry.path}`,
          undefined,
          content,
          mediaTypeFor(entry.path),
          attributes,
        );
      });
      for (const [j, entry] of batch.entries()) {
        const e = results[j];
        if (!e) continue;
        nextState.files[entry.path] = { blobSha: entry.sha, item: e.stored };
        yield { artifact: e.artifact, at: entry.path };
      }
    }
  }
  return resumeAfter !== undefined ? prev : nextState;
}
