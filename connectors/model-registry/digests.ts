import type { RegistryDataset, RegistryRun } from './types';

/**
 * What a dataset digest proves. MLflow's `digest` is 8 hex characters of a hash computed over a sample of
 * the data (for pandas, the first rows plus the shape), so it tells two logged datasets apart but is no
 * content hash: other data can share it. Only a full-length hash (32 hex characters or more, optionally
 * `sha256:`-prefixed) counts as a content hash.
 */
export type DigestKind = 'none' | 'mlflow-truncated' | 'content-hash' | 'other';

export function digestKind(digest: string | undefined): DigestKind {
  if (digest === undefined || digest === '') return 'none';
  if (/^[0-9a-f]{8}$/i.test(digest)) return 'mlflow-truncated';
  if (/^(?:(?:sha256|sha512|sha1|md5):)?[0-9a-f]{32,128}$/i.test(digest)) return 'content-hash';
  return 'other';
}

/** One kind for all of a run's datasets, `mixed` when they differ, null without datasets. */
export function datasetDigestKind(datasets: readonly RegistryDataset[]): DigestKind | 'mixed' | null {
  const kinds = new Set(datasets.map((d) => digestKind(d.digest)));
  if (kinds.size === 0) return null;
  return kinds.size === 1 ? [...kinds][0]! : 'mixed';
}

/** Every dataset has some digest (MLflow's truncated ones included): what `allDatasetsHashed` used to mean. */
export function allDigested(datasets: readonly RegistryDataset[]): boolean {
  return datasets.length > 0 && datasets.every((d) => d.digest !== undefined && d.digest !== '');
}

/** Every dataset has a full content hash, and the run that logged them still exists. */
export function allContentHashed(run: RegistryRun | undefined): boolean {
  if (!run || run.deleted) return false;
  return run.datasets.length > 0 && run.datasets.every((d) => digestKind(d.digest) === 'content-hash');
}
