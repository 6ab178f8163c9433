/**
 * Artifact kinds of the gcs connector: each scope names what its objects are evidence of (as the S3
 * connector's scopes do), and `bucket` records a bucket's retention controls (retention policy and its
 * lock, default event-based hold, versioning) and labels.
 */
export const gcsObjectKinds = ['policy-document', 'dataset-manifest', 'contract', 'archived-log', 'object'] as const;
export const gcsKinds = [...gcsObjectKinds, 'bucket'] as const;
