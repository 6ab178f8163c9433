import { defineConnector } from '../descriptor';
import { huggingfaceSourceSchema } from './config';
import { createHuggingfaceConnector } from './huggingface-connector';
import { huggingfaceKinds } from './kinds';

/** Hugging Face Hub: models and datasets, their revisions (commits), cards, license, gated/private status. */
export const huggingfaceConnector = defineConnector({
  type: 'huggingface',
  configSchema: huggingfaceSourceSchema,
  kinds: huggingfaceKinds,
  // A repository's record is its current revision: rules judge the newest per repository.
  stateKinds: { 'hf-model': ['repo'], 'hf-dataset': ['repo'] },
  create: (source, { resolveSecret }) => createHuggingfaceConnector(source, resolveSecret),
  defaultMappings: { files: ['46-huggingface.yaml'], when: 'configured' },
});
