import { modelRegistryKinds } from '../model-registry/kinds';

/**
 * Artifact kinds the MLflow connector yields: the model-registry kinds (`registered-model`,
 * `model-version`, `model-card`, `dataset-lineage`, `stage-transition`); the descriptor's `kinds`
 * (connectors/mlflow/index.ts).
 */
export const mlflowKinds = modelRegistryKinds;
export type MlflowKind = (typeof mlflowKinds)[number];
