/**
 * Artifact kinds of the azure-blob connector: each scope names what its blobs are evidence of (as the S3
 * connector's scopes do), and `container` records a container's retention controls (immutability
 * policy, legal hold, version-level WORM) and metadata.
 */
export const azureBlobObjectKinds = [
  'policy-document',
  'dataset-manifest',
  'contract',
  'archived-log',
  'object',
] as const;
export const azureBlobKinds = [...azureBlobObjectKinds, 'container'] as const;
export type AzureBlobKind = (typeof azureBlobKinds)[number];
