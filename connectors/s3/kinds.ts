/**
 * Artifact kinds of the S3 connector. Each configured scope (bucket + prefix) names what its objects
 * are evidence of; `object` is the neutral default.
 */
export const s3Kinds = ['policy-document', 'dataset-manifest', 'contract', 'archived-log', 'object'] as const;
export type S3Kind = (typeof s3Kinds)[number];
