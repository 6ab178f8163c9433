/**
 * The problem classes the checkpoint and audit-pack checks report (evidence/verify-checkpoints.ts,
 * evidence/export/verify-pack.ts): a subset of verify.ts's ProblemCode, kept in their own file so those
 * modules and verify.ts import them without a cycle.
 */
export type AnchorProblemCode =
  'checkpoint-invalid' | 'truncated' | 'forked' | 'untrusted-key' | 'export-altered' | 'unreferenced-blob';

export interface AnchorProblem {
  code: AnchorProblemCode;
  sequence?: number;
  message: string;
}
