/** Artifact kinds every model-registry connector yields; mapping rules select on these. */
export const modelRegistryKinds = [
  'registered-model',
  'model-version',
  'model-card',
  'dataset-lineage',
  'stage-transition',
  // What is in production now, per version and run: current state, judged whatever the version's age.
  'production-state',
  // An approval observed after the version was already in production (never folded into the entry record).
  'approval',
] as const;
export type ModelRegistryKind = (typeof modelRegistryKinds)[number];
