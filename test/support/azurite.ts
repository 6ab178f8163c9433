import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './ports';
import { suiteDir } from './tmp';

/** A real Azurite blob service on loopback (npm, installed by scripts/ensure-azurite.sh), with the dev account. */
export interface AzuriteServer {
  /** Path-style service URL: http://127.0.0.1:PORT/devstoreaccount1 */
  accountUrl: string;
  accountName: string;
  accountKey: string;
  service: BlobServiceClient;
  stop(): Promise<void>;
}

// Azurite's documented development account (public, the same in every Azurite).
const accountName = 'devstoreaccount1';
const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function azuriteBinary(): string {
  if (process.env['AZURITE_BLOB_PATH']) return process.env['AZURITE_BLOB_PATH'];
  const script = path.join(__dirname, '..', '..', 'scripts', 'ensure-azurite.sh');
  return execFileSync('bash', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 10 * 60_000,
  })
    .trim()
    .split('\n')
    .at(-1)!;
}

export async function startAzurite(location: string): Promise<AzuriteServer> {
  await mkdir(location, { recursive: true });
  const port = await freePort();
  // --skipApiVersionCheck: the SDK may speak a newer service version than this Azurite's baseline.
  const child: ChildProcess = spawn(
    azuriteBinary(),
    [
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
      '--location',
      location,
      '--skipApiVersionCheck',
      '--silent',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const accountUrl = `http://127.0.0.1:${port}/${accountName}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await fetch(`${accountUrl}?comp=list`);
      break; // any answer (403 without a signature) means it is listening
    } catch {
      // not yet
    }
    if (child.exitCode !== null) throw new Error(`azurite exited (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) throw new Error(`azurite did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const service = new BlobServiceClient(accountUrl, new StorageSharedKeyCredential(accountName, accountKey));
  return {
    accountUrl,
    accountName,
    accountKey,
    service,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One Azurite per test file, with its data in a temporary folder removed afterwards. */
export function useAzurite(): () => AzuriteServer {
  let server: AzuriteServer | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await suiteDir('eh-azurite-');
    server = await startAzurite(dir);
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (!server) throw new Error('Azurite is not started yet (use it inside tests or hooks)');
    return server;
  };
}
