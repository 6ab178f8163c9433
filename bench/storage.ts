// Benchmark: stream one large artifact into a store. Run in its own process so peak RSS is the store's.
// Usage: npx tsx bench/storage.ts <fs|s3> <file> [s3 endpoint bucket accessKey secretKey]
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { FilesystemStore } from '../evidence/fs-store';
import { S3Store } from '../evidence/s3-store';
import type { EvidenceStore } from '../evidence/store';

async function main(): Promise<void> {
  const [kind, file, endpoint, bucket, accessKeyId, secretAccessKey] = process.argv.slice(2);
  const size = (await stat(file!)).size;
  let store: EvidenceStore;
  let cleanup = async () => {};
  if (kind === 'fs') {
    const dir = await mkdtemp(path.join(path.dirname(file!), 'eh-bench-store-'));
    store = await FilesystemStore.open(dir);
    cleanup = () => rm(dir, { recursive: true, force: true });
  } else {
    const client = new S3Client({
      endpoint: endpoint!,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! },
    });
    store = new S3Store({ client, bucket: bucket!, prefix: `bench-${process.pid}/` });
  }
  const t0 = process.hrtime.bigint();
  const ref = await store.putBlob(createReadStream(file!, { highWaterMark: 1024 * 1024 }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await cleanup();
  if (ref.size !== size) throw new Error(`stored ${ref.size} bytes of ${size}`);
  console.log(
    JSON.stringify({
      store: kind,
      bytes: size,
      seconds,
      sha256: ref.sha256,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
