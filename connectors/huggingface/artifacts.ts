import { Readable } from 'node:stream';
import { canonicalJson } from '../../core/digest';
import type { JsonValue } from '../../core/json';
import type { CollectionStep } from '../types';
import type { CardFacts } from './card';
import type { HubCommit, RepoInfo, RepoType } from './hub-api';
import type { HuggingfaceKind } from './kinds';

export const huggingfaceCollector = 'huggingface@1.0.0';

/** One artifact of a repository: its metadata and bytes, before it becomes a collection step. */
export interface HubArtifact {
  kind: HuggingfaceKind;
  externalId: string;
  observedAt: string;
  mediaType: string;
  attributes: Record<string, JsonValue>;
  endpoint: string;
  etag?: string;
  body: Buffer;
}

export function toStep(cursor: string, a: HubArtifact): CollectionStep {
  return {
    cursor,
    artifact: {
      meta: {
        externalId: a.externalId,
        kind: a.kind,
        observedAt: a.observedAt,
        mediaType: a.mediaType,
        attributes: a.attributes,
        provenance: {
          endpoint: a.endpoint,
          apiVersion: 'huggingface-hub-api',
          collector: huggingfaceCollector,
          ...(a.etag ? { etag: a.etag } : {}),
        },
      },
      open: () => Readable.from([a.body]),
    },
  };
}

/** `models/<owner>/<name>` or `datasets/<owner>/<name>`: the id is kept as the Hub spells it. */
export function repoKey(type: RepoType, repo: string): string {
  return `${type === 'model' ? 'models' : 'datasets'}/${repo}`;
}

export function commitArtifact(type: RepoType, repo: string, c: HubCommit, endpoint: string): HubArtifact {
  const authors = (c.authors ?? []).map((a) => a.user).filter((u): u is string => typeof u === 'string');
  const attributes: Record<string, JsonValue> = {
    repo,
    repoType: type,
    sha: c.id,
    title: c.title ?? '',
    authors,
    ...(c.date ? { date: c.date } : {}),
  };
  return {
    kind: 'repo-commit',
    externalId: `${repoKey(type, repo)}/commits/${c.id}`,
    observedAt: c.date && !Number.isNaN(Date.parse(c.date)) ? new Date(c.date).toISOString() : new Date().toISOString(),
    mediaType: 'application/json',
    attributes,
    endpoint,
    body: Buffer.from(canonicalJson({ attributes, commit: c as unknown as JsonValue }), 'utf8'),
  };
}

function gatedValue(g: RepoInfo['gated']): JsonValue {
  return g === undefined ? false : g;
}

/**
 * The `hf-model` / `hf-dataset` record of one revision: license, card facts, visibility, safetensors metadata,
 * and the gaps the default pack flags (no license; a model card without intended use or limitations).
 */
export function repoArtifact(
  type: RepoType,
  info: RepoInfo,
  card: { facts?: CardFacts; stored: boolean } | undefined,
  lastCommit: HubCommit | undefined,
  endpoint: string,
  now: Date,
): HubArtifact {
  const facts = card?.facts;
  const tagLicense = (info.tags ?? []).find((t) => t.startsWith('license:'))?.slice('license:'.length);
  const cardLicense = typeof info.cardData?.['license'] === 'string' ? info.cardData['license'] : undefined;
  const license = facts?.license ?? cardLicense ?? tagLicense;
  const hasCard = card !== undefined;
  const datasets = facts?.datasets ?? [];
  const gaps = [
    ...(license ? [] : ['license']),
    ...(hasCard ? [] : [type === 'model' ? 'model-card' : 'dataset-card']),
    ...(type === 'model' && hasCard && !facts?.hasIntendedUse ? ['intended-use'] : []),
    ...(type === 'model' && hasCard && !facts?.hasLimitations ? ['limitations'] : []),
  ];
  const common: Record<string, JsonValue> = {
    repo: info.id,
    repoType: type,
    sha: info.sha,
    private: info.private ?? false,
    gated: gatedValue(info.gated),
    isGated: info.gated !== undefined && info.gated !== false,
    hasLicense: license !== undefined,
    gaps,
    ...(license ? { license } : {}),
    ...(info.lastModified ? { lastModified: info.lastModified } : {}),
    ...(lastCommit?.date ? { lastCommitAt: lastCommit.date } : {}),
    ...(lastCommit ? { lastCommitAuthors: (lastCommit.authors ?? []).map((a) => a.user ?? '').filter(Boolean) } : {}),
  };
  const attributes: Record<string, JsonValue> =
    type === 'model'
      ? {
          ...common,
          hasModelCard: hasCard,
          hasIntendedUse: facts?.hasIntendedUse ?? false,
          hasLimitations: facts?.hasLimitations ?? false,
          // The card a reviewer can rely on: a license, what the model is for, and where it must not be used.
          cardComplete: gaps.length === 0,
          datasets,
          namesTrainingData: datasets.length > 0,
          metrics: facts?.metrics ?? [],
          hasSafetensors: info.safetensors !== undefined,
          ...(info.safetensors?.total !== undefined ? { parameters: info.safetensors.total } : {}),
          ...(info.safetensors?.parameters ? { parameterDtypes: Object.keys(info.safetensors.parameters).sort() } : {}),
          ...(info.pipeline_tag ? { pipelineTag: info.pipeline_tag } : {}),
          ...(info.library_name ? { libraryName: info.library_name } : {}),
        }
      : {
          ...common,
          hasDatasetCard: hasCard,
          sourceDatasets: toStrings(facts?.frontMatter['source_datasets']),
          languages: toStrings(facts?.frontMatter['language']),
          documented: gaps.length === 0,
        };
  // Dated by the revision's last commit (or the listing's lastModified): when this state of the repo began.
  const dated = lastCommit?.date ?? info.lastModified;
  return {
    kind: type === 'model' ? 'hf-model' : 'hf-dataset',
    externalId: `${repoKey(type, info.id)}/revisions/${info.sha}`,
    observedAt: dated && !Number.isNaN(Date.parse(dated)) ? new Date(dated).toISOString() : now.toISOString(),
    mediaType: 'application/json',
    attributes,
    endpoint,
    body: Buffer.from(canonicalJson({ attributes, info: info as unknown as JsonValue }), 'utf8'),
  };
}

function toStrings(v: JsonValue | undefined): JsonValue[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : [];
}
