import { GetObjectCommand, ListObjectsV2Command, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { PassThrough, Readable } from 'node:stream';
import picomatch from 'picomatch';
import { CredentialsError, SourceConfigError } from '../../core/errors';
import type { ExportFile, ExportLocation } from '../siem/location';

export interface S3ExportLocationOptions {
  sourceId: string;
  client: S3Client;
  bucket: string;
  prefix: string;
  include: string[];
  exclude: string[];
}

/**
 * SIEM export files under an S3 prefix (a SIEM job writing to a bucket). Listed with ListObjectsV2 and
 * read pinned to the listed ETag and size, so a file rewritten during collection fails instead of
 * mixing two versions.
 */
export class S3ExportLocation implements ExportLocation {
  readonly description: string;
  readonly endpoint: string;
  private readonly isIncluded: (p: string) => boolean;
  private readonly isExcluded: (p: string) => boolean;

  constructor(private readonly opts: S3ExportLocationOptions) {
    this.description = `S3 prefix s3://${opts.bucket}/${opts.prefix}`;
    this.endpoint = `s3://${opts.bucket}/${opts.prefix}`;
    this.isIncluded = picomatch(opts.include.length > 0 ? opts.include : ['**/*'], { dot: true });
    this.isExcluded = opts.exclude.length > 0 ? picomatch(opts.exclude, { dot: true }) : () => false;
  }

  async list(signal?: AbortSignal): Promise<ExportFile[]> {
    const files: ExportFile[] = [];
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.opts.client.send(
          new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: this.opts.prefix, ContinuationToken: token }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (err) {
        throw this.classify(err);
      }
      for (const o of res.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        const rel = o.Key.slice(this.opts.prefix.length).replace(/^\/+/, '');
        if (!rel || this.isExcluded(rel) || !this.isIncluded(rel)) continue;
        files.push({
          path: rel,
          size: o.Size ?? 0,
          mtime: o.LastModified ?? new Date(0),
          endpoint: `s3://${this.opts.bucket}/${encodeURI(o.Key)}`,
          ...(o.ETag ? { etag: o.ETag } : {}),
        });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  open(file: ExportFile): Readable {
    if (file.size === 0) return Readable.from([]);
    const out = new PassThrough();
    const key = `${this.opts.prefix}${file.path}`;
    this.opts.client
      .send(
        new GetObjectCommand({
          Bucket: this.opts.bucket,
          Key: key,
          Range: `bytes=0-${file.size - 1}`,
          ...(file.etag ? { IfMatch: file.etag } : {}),
        }),
      )
      .then((res) => {
        const body = res.Body as Readable;
        body.on('error', (e) => out.destroy(e));
        body.pipe(out);
      })
      .catch((err: unknown) => out.destroy(this.classify(err) as Error));
    return out;
  }

  private classify(err: unknown): unknown {
    if (!(err instanceof S3ServiceException)) return err;
    const where = `source "${this.opts.sourceId}": ${this.description}`;
    if (err.name === 'NoSuchBucket')
      return new SourceConfigError(`${where}: the bucket does not exist (check sources[].s3.bucket)`);
    if (
      ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'AccessDenied'].includes(err.name) ||
      err.$metadata.httpStatusCode === 403
    ) {
      return new CredentialsError(
        `${where}: ${err.name}; the credentials need s3:ListBucket and s3:GetObject on this prefix`,
      );
    }
    return err;
  }
}
