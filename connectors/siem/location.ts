import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import picomatch from 'picomatch';
import { SourceConfigError } from '../../core/errors';
import { codeUnitOrder } from '../../core/order';

/** One export file at a location. */
export interface ExportFile {
  /** Path relative to the location root, `/`-separated; also the resume cursor's sort key. */
  path: string;
  /** Bytes read: a file that grows while it is collected is read (and stored) up to this size. */
  size: number;
  mtime: Date;
  /** Provenance endpoint: `file:///...`, `s3://bucket/key`. */
  endpoint: string;
  etag?: string;
  versionId?: string;
}

/**
 * Where export files are read from. The connector only lists and opens; a location for an S3 prefix
 * implements the same two calls (ListObjectsV2 under the prefix, GetObject pinned to the listed
 * VersionId/ETag) and plugs into `createSiemConnector(source, { location })`.
 */
export interface ExportLocation {
  /** For messages: `folder /var/exports`, `S3 prefix s3://bucket/prefix/`. */
  readonly description: string;
  /** Provenance endpoint of artifacts derived from all files: `file:///var/exports`, `s3://bucket/prefix/`. */
  readonly endpoint: string;
  /** Files matching include/exclude, sorted by `path` in code-unit order (the order resume cursors compare in). */
  list(signal?: AbortSignal): Promise<ExportFile[]>;
  /** The file's raw bytes (still compressed), exactly `file.size` of them. Called once per read; may be called more than once per file. */
  open(file: ExportFile): Readable;
}

export interface LocalFolderOptions {
  sourceId: string;
  root: string;
  include: string[];
  exclude: string[];
}

/** Export files in a local folder (an NFS mount, a folder a SIEM job writes to). Symlinks are not followed. */
export class LocalFolderLocation implements ExportLocation {
  readonly description: string;
  readonly endpoint: string;
  private readonly root: string;
  private readonly isIncluded: (p: string) => boolean;
  private readonly isExcluded: (p: string) => boolean;

  constructor(private readonly opts: LocalFolderOptions) {
    this.root = path.resolve(opts.root);
    this.description = `folder ${this.root}`;
    this.endpoint = `file://${this.root}`;
    this.isIncluded = picomatch(opts.include.length > 0 ? opts.include : ['**/*'], { dot: true });
    this.isExcluded = opts.exclude.length > 0 ? picomatch(opts.exclude, { dot: true }) : () => false;
  }

  async list(signal?: AbortSignal): Promise<ExportFile[]> {
    let rootStat;
    try {
      rootStat = await stat(this.root);
    } catch {
      throw new SourceConfigError(
        `source "${this.opts.sourceId}": folder ${this.root} does not exist (check sources[].path in the config)`,
      );
    }
    if (!rootStat.isDirectory()) {
      throw new SourceConfigError(
        `source "${this.opts.sourceId}": ${this.root} is not a folder (check sources[].path in the config)`,
      );
    }
    const rels: string[] = [];
    await this.walk('', rels, signal);
    rels.sort(codeUnitOrder);
    const files: ExportFile[] = [];
    for (const rel of rels) {
      const abs = path.join(this.root, ...rel.split('/'));
      const st = await stat(abs);
      files.push({ path: rel, size: st.size, mtime: st.mtime, endpoint: `file://${abs}` });
    }
    return files;
  }

  open(file: ExportFile): Readable {
    if (file.size === 0) return Readable.from([]);
    return createReadStream(path.join(this.root, ...file.path.split('/')), { start: 0, end: file.size - 1 });
  }

  private async walk(rel: string, out: string[], signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const dir = rel ? path.join(this.root, ...rel.split('/')) : this.root;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (this.isExcluded(childRel)) continue;
      if (entry.isDirectory()) await this.walk(childRel, out, signal);
      else if (entry.isFile() && this.isIncluded(childRel)) out.push(childRel);
    }
  }
}
