import { AzureStore } from '../../evidence/azure-store';
import { GcsStore } from '../../evidence/gcs-store';
import { S3Store } from '../../evidence/s3-store';
import { useAzurite } from './azurite';
import { useFakeGcs } from './fake-gcs';
import type { MinioServer } from './minio';
import { useMinio } from './minio-suite';

/**
 * The three object stores on their real servers (MinIO, Azurite, fake-gcs-server) for one test file: call at
 * the top of the file (it registers the servers' hooks); each factory makes a store in a fresh bucket.
 */
export function useObjectStores(name: string) {
  const minio = useMinio();
  const azurite = useAzurite();
  const fakeGcs = useFakeGcs();
  let count = 0;
  const bucketName = () => `${name}-${process.pid}-${++count}`;
  return {
    minio: (): MinioServer => minio(),
    async s3(options: { objectLock?: boolean } = {}): Promise<S3Store> {
      const bucket = bucketName();
      await minio().createBucket(bucket, { versioned: true, objectLock: options.objectLock ?? false });
      return new S3Store({
        client: minio().client,
        bucket,
        prefix: 'evidence/',
        ...(options.objectLock ? { objectLock: { mode: 'COMPLIANCE' as const, days: 1 } } : {}),
      });
    },
    async azure(): Promise<AzureStore> {
      const container = azurite().service.getContainerClient(bucketName());
      await container.create();
      return new AzureStore({ container, prefix: 'evidence/' });
    },
    async gcs(options: { retentionDays?: number } = {}): Promise<GcsStore> {
      const [bucket] = await fakeGcs().storage.createBucket(bucketName());
      return new GcsStore({
        bucket,
        prefix: 'evidence/',
        ...(options.retentionDays ? { retention: { mode: 'Unlocked' as const, days: options.retentionDays } } : {}),
      });
    },
  };
}
