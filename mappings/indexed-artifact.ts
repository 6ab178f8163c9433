import type { SelectableArtifact } from './select';

/**
 * An artifact as the evaluator sees it: metadata plus the two times that matter, as epoch ms.
 * Its own file so that buckets.ts (which evaluate.ts uses) need not import evaluate.ts back.
 */
export interface IndexedArtifact extends SelectableArtifact {
  id: string;
  observedAt: number;
  /** When we first collected it: evaluation as of a date ignores what was not yet known then. */
  collectedAt: number;
  sha256: string;
}
