import { canonicalJson } from '../../core/digest';
import type { JsonValue } from '../../core/json';
import { common } from './artifacts';
import type { Emitted, RegistryContext } from './context';
import { allContentHashed, allDigested, datasetDigestKind } from './digests';
import type { RegistryModelVersion, RegistryRun } from './types';

/** The `dataset-lineage` artifact: the run's input datasets with their digests, sources and contexts. */
export function lineageArtifact(
  cx: RegistryContext,
  v: RegistryModelVersion,
  run: RegistryRun,
  versionObservedAt: number,
): Emitted {
  const datasets = run.datasets.map((d) => ({
    name: d.name,
    digest: d.digest ?? null,
    sourceType: d.sourceType ?? null,
    source: d.source ?? null,
    context: d.context ?? null,
  }));
  const attributes: Record<string, JsonValue> = {
    ...common(cx, v),
    runId: run.id,
    // A deleted run documents nothing any more: its datasets are a lineage gap, not available lineage.
    runDeleted: run.deleted === true,
    lineageAvailable: run.deleted !== true && datasets.length > 0,
    datasets,
    datasetCount: datasets.length,
    digests: datasets.map((d) => d.digest).filter((d): d is string => d !== null),
    datasetDigestKind: datasetDigestKind(run.datasets),
    sources: datasets.map((d) => d.source).filter((d): d is string => d !== null),
    contexts: [...new Set(datasets.map((d) => d.context).filter((d): d is string => d !== null))].sort(),
    allDatasetsDigested: run.deleted !== true && allDigested(run.datasets),
    allDatasetsHashed: allContentHashed(run),
  };
  return {
    externalId: `models/${v.model}/versions/${v.version}/lineage`,
    kind: 'dataset-lineage',
    observedAt: run.endedAt ?? run.startedAt ?? versionObservedAt,
    mediaType: 'application/json',
    attributes,
    endpoint: run.endpoint,
    body: canonicalJson({ attributes, datasets: run.datasets as unknown as JsonValue }),
  };
}
