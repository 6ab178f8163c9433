import { modelRegistryKinds } from '../model-registry/kinds';

/**
 * Artifact kinds the SageMaker connector yields: the model-registry kinds (model package groups as
 * `registered-model`, model packages as `model-version`, ...) and `deployed-endpoint`, one record per
 * endpoint naming the model packages it serves.
 */
export const sagemakerKinds = [...modelRegistryKinds, 'deployed-endpoint'] as const;
export type SagemakerKind = (typeof sagemakerKinds)[number];
