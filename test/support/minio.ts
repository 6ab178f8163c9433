import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, retryOnPortClash } from './ports';

/** A real MinIO server on loopback, built from its Go module by scripts/ensure-minio.sh. */
export interface MinioServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  client: S3Client;
  dataDir: string;
  /** Creates a bucket; versioned and with Object Lock when asked. */
  createBucket(name: string, options?: { versioned?: boolean; objectLock?: boolean }): Promise<void>;
  stop(): Promise<void>;
  /** Starts the same server again on the same port and data (for fault tests). */
  restart(): Promise<void>;
}

export function minioBinary(): string {
  if (process.env['MINIO_PATH']) return process.env['MINIO_PATH'];
  const script = path.join(__dirname, '..', '..', 'scripts', 'ensure-minio.sh');
  return execFileSync('bash', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  })
    .trim()
    .split('\n')
    .at(-1)!;
}

export async function startMinio(dataDir: string): Promise<MinioServer> {
  const binary = minioBinary();
  await mkdir(dataDir, { recursive: true });
  let port = 0;
  let consolePort = 0;
  const accessKeyId = 'evidencehubtest';
  const secretAccessKey = 'evidencehubtest-secret';
  let child: ChildProcess | undefined;
  let endpoint = '';

  const start = async () => {
    child = spawn(
      binary,
      ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
      {
        env: {
          ...process.env,
          MINIO_ROOT_USER: accessKeyId,
          MINIO_ROOT_PASSWORD: secretAccessKey,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = await fetch(`${endpoint}/minio/health/ready`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`minio exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`minio did not become ready: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return; // already exited (a killed process keeps exitCode null)
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };

  await retryOnPortClash(async (picked) => {
    port = picked;
    consolePort = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    await start();
  });
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    client,
    dataDir,
    async createBucket(name, options = {}) {
      await client.send(
        new CreateBucketCommand({ Bucket: name, ...(options.objectLock ? { ObjectLockEnabledForBucket: true } : {}) }),
      );
      if (options.versioned && !options.objectLock) {
        await client.send(
          new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
        );
      }
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}
