import { Readable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { canonicalJson, sha256Hex } from '../../../core/digest';
import type { JsonValue } from '../../../core/json';
import type { ArtifactMeta, CollectOptions, CollectedArtifact } from '../../types';
import { githubApiVersion, githubCollector, type GithubClient, type RequestSpec } from '../client';
import type { GithubSourceConfig } from '../config';
import type { Attributes, Normalized } from '../normalize/normalized';
import type { CompactRepo, StoredItem } from '../state';

/** One repository being collected. */
export interface RepoCtx {
  repo: CompactRepo;
  key: string;
  entry: string;
  /** `/repos/{owner}/{repo}`, encoded. */
  base: string;
}

/** One call of `collect`: its options, its clock reading, and the request spec for a repository. */
export interface Run {
  options: CollectOptions;
  now: Date;
  spec: (ctx: RepoCtx) => RequestSpec;
}

/** What a section yields: an artifact and the resume point `at` inside the section after it. */
export interface Step {
  artifact: CollectedArtifact;
  at: JsonValue;
}

/** An artifact, and what the next run's state keeps of it to re-emit it on a 304. */
export interface Emitted {
  artifact: CollectedArtifact;
  stored: StoredItem;
}

const silent = pino({ level: 'silent' });

/**
 * What every collector of one connector shares: the configuration, the client, the clock, the logger
 * of the current collection, the store reader for re-emission, and the artifact counters that
 * `stats()` reports. Collectors build every artifact through `emitJson`, `emitBytes` or `reemit`.
 */
export class CollectContext {
  log: Logger = silent;
  openStoredBlob: ((sha256: string) => Readable) | undefined;
  readonly counters = { artifacts: 0, reemitted: 0 };

  constructor(
    readonly cfg: GithubSourceConfig,
    readonly client: GithubClient,
    readonly now: () => Date,
  ) {}

  emitJson(
    kind: string,
    externalId: string,
    observedAt: string,
    endpoint: string,
    etag: string | undefined,
    n: Normalized,
  ): Emitted {
    return this.emitBytes(
      kind,
      externalId,
      observedAt,
      endpoint,
      etag,
      Buffer.from(canonicalJson(n.record)),
      'application/json',
      n.attributes,
    );
  }

  emitBytes(
    kind: string,
    externalId: string,
    observedAt: string,
    endpoint: string,
    etag: string | undefined,
    bytes: Buffer,
    mediaType: string,
    attributes: Attributes,
  ): Emitted {
    const meta: ArtifactMeta = {
      externalId,
      kind,
      observedAt,
      mediaType,
      attributes,
      provenance: {
        endpoint: this.client.url(endpoint),
        apiVersion: githubApiVersion,
        collector: githubCollector,
        ...(etag ? { etag } : {}),
      },
    };
    this.counters.artifacts++;
    return {
      artifact: { meta, open: () => Readable.from([bytes]) },
      stored: { sha256: sha256Hex(bytes), size: bytes.length, meta },
    };
  }

  /** The artifact stored by an earlier run, unchanged at the source: same bytes, fresh observation. */
  reemit(item: StoredItem, change: { observedAt?: string; attributes?: Attributes; etag?: string }): Emitted {
    const open = this.openStoredBlob;
    if (!open) throw new Error('internal: re-emitting a stored artifact without openStoredBlob');
    const meta: ArtifactMeta = {
      ...item.meta,
      ...(change.observedAt ? { observedAt: change.observedAt } : {}),
      ...(change.attributes ? { attributes: change.attributes } : {}),
      provenance: { ...item.meta.provenance, ...(change.etag ? { etag: change.etag } : {}) },
    };
    this.counters.artifacts++;
    this.counters.reemitted++;
    return {
      artifact: { meta, open: () => open(item.sha256) },
      stored: { sha256: item.sha256, size: item.size, meta },
    };
  }

  /** The source's own time of an answer (its Date header), for facts that hold "as of now". */
  dateOf(header: string | undefined, run: Run): string {
    const ms = header ? Date.parse(header) : NaN;
    return Number.isNaN(ms) ? run.now.toISOString() : new Date(ms).toISOString();
  }
}
