import { canonicalJson } from '../../core/digest';
import type { JsonValue } from '../../core/json';
import { common, productionBy } from './artifacts';
import type { Emitted, RegistryContext } from './context';
import type { Designation } from './state';
import type { RegistryModelVersion } from './types';

/**
 * The `production-state` record of a version in production now: emitted by every run, dated at the
 * collection, with the gaps its run and cards leave. A version promoted long before the evaluation window
 * (a registry adopted late) is still what serves today; its dated-at-promotion records fall out of any
 * per-change window, this one does not, so what is in production is judged whatever its age.
 * Its bytes do not change while the state does not (no collection time inside): the store keeps one blob.
 */
export function productionStateArtifact(
  cx: RegistryContext,
  v: RegistryModelVersion,
  designations: Record<string, Designation>,
  gaps: readonly string[],
  now: number,
): Emitted {
  const by = productionBy(cx, v);
  const sinces = by.map((d) => designations[d]?.since).filter((x): x is number => x !== undefined);
  const attributes: Record<string, JsonValue> = {
    ...common(cx, v),
    production: true,
    productionBy: by,
    ...(sinces.length > 0 ? { productionSince: new Date(Math.min(...sinces)).toISOString() } : {}),
    stage: v.stage,
    aliases: v.aliases,
    gaps: [...gaps],
    complete: gaps.length === 0,
    hasModelCard: !gaps.includes('model-card'),
    hasValidationMetrics: !gaps.includes('validation-metrics'),
    hasFairnessMetrics: !gaps.includes('fairness-metrics'),
    hasDatasetDigests: !gaps.includes('dataset-digests'),
    runAvailable: !gaps.includes('run'),
    observedAtFrom: 'collection',
  };
  return {
    externalId: `models/${v.model}/versions/${v.version}/production-state`,
    kind: 'production-state',
    observedAt: now,
    mediaType: 'application/json',
    attributes,
    endpoint: v.endpoint,
    body: canonicalJson({ productionState: attributes }),
  };
}
