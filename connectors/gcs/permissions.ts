/** The JSON API calls the connector makes, and the IAM permission each needs. */
export type GcsOperation = 'buckets.get' | 'objects.list' | 'objects.get';

const grants: Record<GcsOperation, string> = {
  'buckets.get': 'storage.buckets.get (role "Storage Bucket Viewer", roles/storage.bucketViewer)',
  'objects.list': 'storage.objects.list (role "Storage Object Viewer", roles/storage.objectViewer)',
  'objects.get': 'storage.objects.get (role "Storage Object Viewer", roles/storage.objectViewer)',
};

export function permissionFor(op: GcsOperation): string {
  return grants[op];
}
