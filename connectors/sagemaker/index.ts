import { defineConnector } from '../descriptor';
import { sagemakerSourceSchema } from './config';
import { sagemakerKinds } from './kinds';
import { createSagemakerConnector } from './sagemaker-connector';

/** SageMaker Model Registry: package groups, packages with approval, training-job lineage, model cards, endpoints. */
export const sagemakerConnector = defineConnector({
  type: 'sagemaker',
  configSchema: sagemakerSourceSchema,
  kinds: sagemakerKinds,
  // A group's record (its production versions) and an endpoint's record (what it serves) are current state.
  stateKinds: { 'registered-model': ['model'], 'deployed-endpoint': ['endpoint'] },
  create: (source, { resolveSecret }) => createSagemakerConnector(source, resolveSecret),
  defaultMappings: { files: ['45-sagemaker.yaml'], when: 'configured' },
});
