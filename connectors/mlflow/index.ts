import { defineConnector } from '../descriptor';
import { mlflowSourceSchema } from './config';
import { mlflowKinds } from './kinds';
import { createMlflowConnector } from './mlflow-connector';

/** An MLflow model registry: registered models, versions, model cards, lineage and stage transitions. */
export const mlflowConnector = defineConnector({
  type: 'mlflow',
  configSchema: mlflowSourceSchema,
  kinds: mlflowKinds,
  // A registered model's tags (owner, intended use) are its current registry state.
  stateKinds: { 'registered-model': ['model'] },
  create: (source, { resolveSecret }) => createMlflowConnector(source, resolveSecret),
  defaultMappings: { files: ['40-mlflow.yaml'], when: 'configured' },
});
