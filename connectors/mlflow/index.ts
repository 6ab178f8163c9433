export { mlflowSourceSchema, type MlflowSourceConfig, type MlflowSourceInput } from './config';
export { createMlflowConnector, mlflowCollector, type ResolveSecret } from './mlflow-connector';
export { mlflowKinds } from './kinds';
