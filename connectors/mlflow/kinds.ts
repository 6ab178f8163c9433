import { modelRegistryKinds } from '../model-registry/registry-connector';

/**
 * Artifact kinds the MLflow connector yields: the model-registry kinds (`registered-model`,
 * `model-version`, `model-card`, `dataset-lineage`, `stage-transition`). For mappings/vocabulary.ts:
 * `mlflow: mlflowKinds`.
 */
export const mlflowKinds = modelRegistryKinds;
export type MlflowKind = (typeof mlflowKinds)[number];
