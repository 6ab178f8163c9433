/** The data-plane operations the connector calls, and the narrowest grant that allows each. */
export type AzureOperation = 'Get Container Properties' | 'List Blobs' | 'Get Blob';

const grants: Record<AzureOperation, string> = {
  'Get Container Properties':
    'Microsoft.Storage/storageAccounts/blobServices/containers/read (role "Storage Blob Data Reader"; SAS: read on the container resource type)',
  'List Blobs':
    'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read and .../blobs/tags/read (role "Storage Blob Data Reader"; SAS permissions l and t)',
  'Get Blob':
    'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read (role "Storage Blob Data Reader"; SAS permission r)',
};

export function permissionFor(op: AzureOperation): string {
  return grants[op];
}
