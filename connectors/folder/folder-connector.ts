import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { SourceConfigError } from '../../core/errors';
import type { CollectOptions, CollectionStep, Connector } from '../types';
import type { JsonValue } from '../../core/json';
import { parse as parseYaml } from 'yaml';
import { toJson } from '../../core/json';
import { readFrontMatter, readPdfMetadata, type DocumentMetadata } from './document-metadata';
import { documentDating } from '../document-dating';
import { mediaTypeFor } from '../../core/media-types';
import { codeUnitOrder } from '../../core/order';

export const folderCollector = 'folder@1.0.0';

export interface FolderSourceOptions {
  /** Config id of the source, used in error messages. */
  sourceId: string;
  root: string;
  include: string[];
  exclude: string[];
}

/**
 * Documents kept in a folder (a shared-drive export, a policy repo checkout): one artifact per file.
 * Files are visited in byte order of their relative path, so the last path done is a resume cursor.
 */
export class FolderConnector implements Connector {
  readonly type = 'folder';
  private readonly isIncluded: (p: string) => boolean;
  private readonly isExcluded: (p: string) => boolean;

  constructor(private readonly opts: FolderSourceOptions) {
    this.isIncluded = picomatch(opts.include.length > 0 ? opts.include : ['**/*'], { dot: true });
    this.isExcluded = opts.exclude.length > 0 ? picomatch(opts.exclude, { dot: true }) : () => false;
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    const root = path.resolve(this.opts.root);
    let rootStat;
    try {
      rootStat = await stat(root);
    } catch {
      throw new SourceConfigError(
        `source "${this.opts.sourceId}": folder ${root} does not exist (check sources[].path in the config)`,
      );
    }
    if (!rootStat.isDirectory()) {
      throw new SourceConfigError(
        `source "${this.opts.sourceId}": ${root} is not a folder (check sources[].path in the config)`,
      );
    }

    // Paths are listed first and sorted as whole strings: the resume cursor compares whole paths, and a
    // per-directory sort would visit "a/z.md" before "a-b.md" although "a-b.md" < "a/z.md".
    const paths: string[] = [];
    for await (const rel of this.walk(root, '')) paths.push(rel);
    paths.sort(codeUnitOrder);
    // `X.meta.yaml` next to `X` is X's front matter (for CSVs, spreadsheets, images): not a document itself.
    const listed = new Set(paths);
    const sidecars = new Set(
      paths.filter((p) => p.endsWith(sidecarSuffix) && listed.has(p.slice(0, -sidecarSuffix.length))),
    );
    for (const rel of paths) {
      if (sidecars.has(rel)) continue;
      options.signal?.throwIfAborted();
      if (options.resumeAfter !== undefined && rel <= options.resumeAfter) continue;
      const abs = path.join(root, ...rel.split('/'));
      const st = await lstat(abs);
      if (options.since && st.mtime < options.since) continue; // `--since`: unchanged files are skipped
      const mediaType = mediaTypeFor(rel);
      const meta = await this.metadataFor(abs, mediaType, st.size);
      if (sidecars.has(rel + sidecarSuffix)) await mergeSidecar(meta, abs + sidecarSuffix);
      // What the observed date is (docs/mappings.md, "Document dates"): `file-time` makes it unverified.
      const dating = documentDating(meta, { iso: st.mtime.toISOString(), from: 'mtime' });
      const attributes: Record<string, JsonValue> = {
        path: rel,
        name: path.posix.basename(rel),
        directory: path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel),
        extension: path.posix.extname(rel).toLowerCase(),
        mtime: st.mtime.toISOString(),
        ...dating.attributes,
      };
      if (meta.frontMatter) attributes['frontMatter'] = meta.frontMatter;
      if (meta.pdf) attributes['pdf'] = meta.pdf;
      if (meta.metadataError) {
        attributes['metadataError'] = meta.metadataError;
        options.log.warn({ path: rel, reason: meta.metadataError }, 'document metadata not read');
      }
      yield {
        cursor: rel,
        artifact: {
          meta: {
            externalId: rel,
            kind: 'document',
            observedAt: dating.observedAt,
            mediaType,
            attributes,
            provenance: { endpoint: `file://${abs}`, collector: folderCollector },
          },
          open: () => createReadStream(abs),
        },
      };
    }
  }

  private async metadataFor(abs: string, mediaType: string, size: number): Promise<DocumentMetadata> {
    if (mediaType === 'application/pdf') return readPdfMetadata(abs, size);
    if (mediaType.startsWith('text/') || mediaType === 'application/yaml') return readFrontMatter(abs);
    return {};
  }

  /** Depth-first walk. Symlinks are skipped: following them could leave the configured folder. */
  private async *walk(root: string, rel: string): AsyncGenerator<string> {
    const dir = rel ? path.join(root, ...rel.split('/')) : root;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const name = entry.name;
      const childRel = rel ? `${rel}/${name}` : name;
      if (this.isExcluded(childRel)) continue;
      if (entry.isDirectory()) yield* this.walk(root, childRel);
      else if (entry.isFile() && this.isIncluded(childRel)) yield childRel;
    }
  }
}

const sidecarSuffix = '.meta.yaml';

/** A sidecar's keys fill in what the file's own front matter lacks. */
async function mergeSidecar(meta: DocumentMetadata, file: string): Promise<void> {
  try {
    const value: unknown = parseYaml(await readFile(file, 'utf8'), { maxAliasCount: 10 });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      meta.metadataError ??= `sidecar ${path.basename(file)} is not a key/value map`;
      return;
    }
    meta.frontMatter = { ...(toJson(value) as Record<string, JsonValue>), ...meta.frontMatter };
  } catch (err) {
    meta.metadataError ??= `sidecar ${path.basename(file)} is not valid YAML: ${(err as Error).message.split('\n')[0]}`;
  }
}
