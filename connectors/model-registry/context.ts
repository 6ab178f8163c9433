import type { JsonValue } from '../../core/json';
import type { ModelRegistryKind } from './kinds';
import type { ModelRegistryClient, RegistryModelVersion } from './types';

/** What one connector collects and how it reads it; the registry product's connector fills it from its config. */
export interface ModelRegistryConnectorOptions {
  /** Source type as written in config (`mlflow`). */
  type: string;
  /** Config id of the source, for messages. */
  sourceId: string;
  /** `<connector>@<version>` recorded in provenance. */
  collector: string;
  /** Exact model names or globs. */
  models: string[];
  production: { stages: string[]; aliases: string[] };
  metrics: { validation: string[]; fairness: string[] };
  modelCards: { files: string[]; dirs: string[]; maxBytes: number };
  tags: { owner: string[]; intendedUse: string[]; riskClass: string[]; approvedBy: string[]; approvedAt: string[] };
  /** Clock for "observed at collection time"; tests pin it. */
  now?: () => Date;
}

/**
 * What the parts of one connector share: the registry client, the options, the card-name matcher and the
 * counters of the current collection (reset by each `collect`, reported by `stats()`).
 */
export interface RegistryContext {
  readonly client: ModelRegistryClient;
  readonly opts: ModelRegistryConnectorOptions;
  readonly isCard: (name: string) => boolean;
  counters: Counters;
}

export type Counters = ReturnType<typeof emptyCounters>;

export function emptyCounters() {
  return {
    modelsSeen: 0,
    versionsSeen: 0,
    versionsCollected: 0,
    versionsUnchanged: 0,
    versionsRechecked: 0,
    /** Versions whose tags or aliases alone changed: re-recorded without reading their run or cards. */
    versionsRelisted: 0,
    /** Versions listed last run and gone now (deleted): their designations are recorded as left. */
    versionsGone: 0,
    versionsSkippedOnResume: 0,
    runsMissing: 0,
    cardsDownloaded: 0,
    cardsTooLarge: 0,
    artifacts: 0,
  };
}

/** One artifact before it becomes a collection step: its metadata and its bytes. */
export interface Emitted {
  externalId: string;
  kind: ModelRegistryKind;
  observedAt: number;
  mediaType: string;
  attributes: Record<string, JsonValue>;
  endpoint: string;
  etag?: string;
  body: string | Buffer;
}

/** Whether a version is in production under the options: a production stage, or a production alias. */
export function isProduction(
  production: ModelRegistryConnectorOptions['production'],
  v: RegistryModelVersion,
): boolean {
  return production.stages.includes(v.stage) || v.aliases.some((a) => production.aliases.includes(a));
}

/** Whether a designation (`stage:<name>` or `alias:<name>`) is a production one under the options. */
export function isProductionDesignation(production: ModelRegistryConnectorOptions['production'], d: string): boolean {
  if (d.startsWith('stage:')) return production.stages.includes(d.slice('stage:'.length));
  return production.aliases.includes(d.slice('alias:'.length));
}
