/** Artifact kinds every model-registry connector yields; mapping rules select on these. */
export const modelRegistryKinds = [
  'registered-model',
  'model-version',
  'model-card',
  'dataset-lineage',
  'stage-transition',
] as const;
export type ModelRegistryKind = (typeof modelRegistryKinds)[number];
