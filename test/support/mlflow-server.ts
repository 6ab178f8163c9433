import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './processes';
import { freePort } from './ports';

const root = path.join(__dirname, '..', '..');

/**
 * Finds or installs (once, into the cache outside the repo) MLflow, and returns the `mlflow` executable.
 * Its virtualenv's python runs the seed script.
 */
export function ensureMlflow(): string {
  const script = path.join(root, 'scripts', 'ensure-mlflow.sh');
  const out = execFileSync('bash', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  });
  return out.trim().split('\n').at(-1)!;
}

export interface MlflowServer {
  /** Base URL, e.g. http://127.0.0.1:43121 */
  url: string;
  /** Admin account of the basic-auth app (the only account). */
  username: string;
  password: string;
  mlflow: string;
  python: string;
  dir: string;
  /** Server output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Environment for MLflow processes: no tracking settings inherited from the developer, no telemetry. */
function mlflowEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MLFLOW_')) env[k] = v;
  return { ...env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', PYTHONUNBUFFERED: '1', ...extra };
}

/**
 * Starts a real `mlflow server` on a free loopback port with a SQLite backend store and a local artifact
 * store served through the server, behind MLflow's own basic-auth app (so authentication is real too).
 * The default security middleware (host and CORS checks) allows 127.0.0.1, so it stays on.
 */
export async function startMlflowServer(mlflow: string): Promise<MlflowServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-mlflow-'));
  const port = await freePort();
  const username = 'admin';
  const password = `pw-${process.pid}-${port}-Aa1`;
  const authIni = path.join(dir, 'basic_auth.ini');
  await writeFile(
    authIni,
    [
      '[mlflow]',
      'default_permission = READ',
      `database_uri = sqlite:///${path.join(dir, 'auth.db')}`,
      `admin_username = ${username}`,
      `admin_password = ${password}`,
      'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
      'auth_cache_ttl_seconds = 300',
      '',
    ].join('\n'),
  );
  const args = [
    'server',
    '--backend-store-uri',
    `sqlite:///${path.join(dir, 'mlflow.db')}`,
    '--artifacts-destination',
    path.join(dir, 'artifacts'),
    '--serve-artifacts',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    '1',
    '--app-name',
    'basic-auth',
  ];
  const child: ChildProcess = spawn(mlflow, args, {
    cwd: dir,
    env: mlflowEnv({ MLFLOW_AUTH_CONFIG_PATH: authIni, MLFLOW_FLASK_SERVER_SECRET_KEY: `test-${process.pid}-${port}` }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: uvicorn and job workers are children, and stop() ends them all.
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const stop = async () => {
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killed = await Promise.race([
        exit.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 3_000)),
      ]);
      if (!killed) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exit;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'mlflow server /health',
      async () => {
        if (exited) throw new Error(`mlflow server exited before it was healthy:\n${out}`);
        try {
          const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
          return res.ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      120_000,
      250,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    username,
    password,
    mlflow,
    python: path.join(path.dirname(mlflow), 'python'),
    dir,
    output: () => out,
    stop,
  };
}

export interface SeedSummary {
  models: Record<
    string,
    {
      versions: Record<
        string,
        {
          runId: string;
          card: string | null;
          datasets: Record<'training' | 'evaluation', { name: string; digest: string; source: string }>;
        }
      >;
    }
  >;
}

/** Runs test/support/seed-mlflow.py against the server with the MLflow Python client. */
export async function seedMlflow(server: MlflowServer): Promise<SeedSummary> {
  const script = path.join(root, 'test', 'support', 'seed-mlflow.py');
  return new Promise((resolve, reject) => {
    const child = spawn(server.python, [script], {
      cwd: server.dir,
      env: mlflowEnv({
        MLFLOW_TRACKING_URI: server.url,
        MLFLOW_TRACKING_USERNAME: server.username,
        MLFLOW_TRACKING_PASSWORD: server.password,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`seed-mlflow.py exited ${code}:\n${stderr.slice(-5_000)}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as SeedSummary);
      } catch (err) {
        reject(
          new Error(`seed-mlflow.py printed no JSON summary (${(err as Error).message}):\n${stdout.slice(-2_000)}`),
        );
      }
    });
  });
}
