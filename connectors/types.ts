import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { JsonValue } from '../core/json';

/** Where a fact came from, precisely enough for an auditor to ask the source again. */
export interface Provenance {
  /** Endpoint, query or path the artifact was read from. */
  endpoint: string;
  apiVersion?: string | undefined;
  etag?: string | undefined;
  versionId?: string | undefined;
  /** `<connector>@<version>`: which collector code produced the artifact. */
  collector: string;
}

/**
 * A normalized artifact as a connector sees it: facts about one thing in one source system.
 * Connectors know nothing about controls; mappings decide what an artifact is evidence of.
 */
export interface ArtifactMeta {
  /** Stable id of the thing within its source (a relative path, a PR number, a model version). */
  externalId: string;
  kind: string;
  /** When the fact was true at the source (effective date, merge time), not when we read it. */
  observedAt: string;
  mediaType: string;
  attributes: Record<string, JsonValue>;
  provenance: Provenance;
}

export interface CollectedArtifact {
  meta: ArtifactMeta;
  /** Opens the artifact's bytes. Called once; the stream is hashed and stored without buffering it whole. */
  open(): Readable;
}

/** One step of a collection: an artifact, and the cursor that resumes collection right after it. */
export interface CollectionStep {
  artifact: CollectedArtifact;
  cursor: string;
}

export interface CollectOptions {
  /** Cursor from a previous, interrupted attempt: continue after it instead of starting over. */
  resumeAfter?: string;
  signal?: AbortSignal;
  log: Logger;
  /**
   * What this connector returned from `state()` at the end of its last run that was sealed into a
   * bundle (ETags, `since` cursors, content hashes). Absent on a first run. Connector-defined JSON.
   */
  previousState?: JsonValue;
  /** Collect only what changed at the source since this time (a sweep's `--since`); optional to honour. */
  since?: Date;
  /** Opens a blob stored by an earlier run, to re-emit an unchanged item (e.g. after a 304) without refetching it. */
  openStoredBlob?: (sha256: string) => Readable;
}

/** Per-run accounting a connector reports; numbers only, so it can travel in workflow history. */
export type ConnectorStats = Record<string, number>;

export interface Connector {
  /** The source type, as written in config (`folder`, `github`, ...). */
  readonly type: string;
  collect(options: CollectOptions): AsyncIterable<CollectionStep>;
  /** State to hand to the next run as `previousState`; read after `collect` has finished. */
  state?(): JsonValue;
  /** Requests made, requests billed against a rate limit, 304s, remaining budget, ... */
  stats?(): ConnectorStats;
  /**
   * Non-fatal problems of the run just finished (one export file of many was unreadable). The evidence
   * collected is kept, and the controls this source feeds are flagged until a clean run.
   */
  problems?(): string[];
}
