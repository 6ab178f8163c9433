import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './ports';

/** A real fake-gcs-server on loopback (built from its Go module by scripts/ensure-fake-gcs.sh), in memory. */
export interface FakeGcsServer {
  /** The JSON API endpoint to give as `apiEndpoint` (no auth is sent to a custom endpoint). */
  endpoint: string;
  storage: Storage;
  stop(): Promise<void>;
}

export function fakeGcsBinary(): string {
  if (process.env['FAKE_GCS_SERVER_PATH']) return process.env['FAKE_GCS_SERVER_PATH'];
  const script = path.join(__dirname, '..', '..', 'scripts', 'ensure-fake-gcs.sh');
  return execFileSync('bash', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  })
    .trim()
    .split('\n')
    .at(-1)!;
}

export async function startFakeGcs(): Promise<FakeGcsServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    fakeGcsBinary(),
    [
      '-scheme',
      'http',
      '-host',
      '127.0.0.1',
      '-port',
      String(port),
      '-backend',
      'memory',
      '-external-url',
      endpoint,
      '-log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/storage/v1/b`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`fake-gcs-server exited (${child.exitCode}): ${stderr}`);
    if (Date.now() > deadline) throw new Error(`fake-gcs-server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    storage: new Storage({ apiEndpoint: endpoint, projectId: 'evidence-hub-test' }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One fake-gcs-server per test file. */
export function useFakeGcs(): () => FakeGcsServer {
  let server: FakeGcsServer | undefined;
  beforeAll(async () => {
    server = await startFakeGcs();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('fake-gcs-server is not started yet (use it inside tests or hooks)');
    return server;
  };
}
