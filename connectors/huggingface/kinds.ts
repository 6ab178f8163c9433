/**
 * Artifact kinds the Hugging Face connector yields: one record per model or dataset revision (its last
 * commit), its card (README.md), and one record per new commit.
 */
export const huggingfaceKinds = ['hf-model', 'hf-dataset', 'model-card', 'dataset-card', 'repo-commit'] as const;
export type HuggingfaceKind = (typeof huggingfaceKinds)[number];
