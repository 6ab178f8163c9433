import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Connection, type WorkflowHandle } from '@temporalio/client';
import { checkpointFromHeartbeat } from '../../activities/collect-checkpoint';
import { findTemporalCli } from '../../worker/temporal-server';
import { minioBinary, startMinio, type MinioServer } from './minio';
import { freePort } from './ports';
import { waitFor } from './processes';

/** Helpers of the resilience suite (test/resilience): servers it restarts, processes it kills, stores it audits. */

const root = path.join(__dirname, '..', '..');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small seeded PRNG (mulberry32), so a failing run of the random kill schedule can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------
// A Temporal dev server as a child process, restartable on the same port and SQLite file.

export interface TemporalProcess {
  address: string;
  port: number;
  dbFilename: string;
  /** Starts the server (again) and waits until the default namespace answers. */
  start(): Promise<void>;
  /** Stops it: SIGTERM (graceful, like the SDK's teardown), SIGKILL after 15 s or when asked. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  output(): string;
}

/**
 * `temporal server start-dev --db-filename F --port P` with the CLI from scripts/ensure-temporal.sh.
 * Spawned directly rather than through @temporalio/testing so it can be stopped and started again on
 * the same port and database, which is what a server restart in production looks like to workers.
 */
export async function startTemporalProcess(options: { dbFilename: string; port?: number }): Promise<TemporalProcess> {
  const cli = process.env['TEMPORAL_CLI_PATH'] ?? (await findTemporalCli());
  if (!cli) throw new Error('no temporal CLI (scripts/ensure-temporal.sh)');
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let out = '';
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFilename,
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--headless',
    '--log-level',
    'error',
  ];

  const start = async () => {
    const c = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    c.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    await waitFor(
      `temporal dev server on ${address}`,
      async () => {
        if (c.exitCode !== null) throw new Error(`temporal server exited (${c.exitCode}):\n${out}`);
        let connection: Connection | undefined;
        try {
          connection = await Connection.connect({ address, connectTimeout: 1_000 });
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return true;
        } catch {
          return undefined;
        } finally {
          await connection?.close().catch(() => undefined);
        }
      },
      90_000,
      250,
    );
  };
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return { address, port, dbFilename: options.dbFilename, start, stop, output: () => out };
}

// ---------------------------------------------------------------------------------------------------
// MinIO that can be stopped and started again

export interface RestartableMinio extends MinioServer {
  /** Starts the stopped server again on the same port and data. */
  start(): Promise<void>;
}

/**
 * MinIO (test/support/minio.ts) whose stop() and start() can be called separately, for an outage of a
 * chosen length. The server is spawned here: support/minio.ts's stop() followed by restart() waits
 * forever (a SIGKILLed child keeps exitCode null, so the second stop() waits for an exit already seen).
 */
export async function startRestartableMinio(dataDir: string): Promise<RestartableMinio> {
  // The shared helper creates the folder and picks the credentials; its server is replaced by ours.
  const base = await startMinio(dataDir);
  await base.stop();
  const binary = minioBinary();
  const port = Number(new URL(base.endpoint).port);
  const consolePort = await freePort();
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async () => {
    const c = spawn(
      binary,
      ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
      {
        env: {
          ...process.env,
          MINIO_ROOT_USER: base.accessKeyId,
          MINIO_ROOT_PASSWORD: base.secretAccessKey,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child = c;
    c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-10_000)));
    await waitFor(
      'minio ready',
      async () => {
        if (c.exitCode !== null || c.signalCode !== null)
          throw new Error(`minio exited (${c.exitCode ?? c.signalCode}): ${stderr}`);
        try {
          return (await fetch(`${base.endpoint}/minio/health/ready`)).ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
      100,
    );
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  const client = new S3Client({
    endpoint: base.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey },
  });
  return {
    ...base,
    client,
    // createBucket goes through the shared helper's client, which points at the same endpoint.
    createBucket: base.createBucket,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Worker processes

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** The identity Temporal records for the worker's activities (the SDK's default, pid@host). */
  identity: string;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once the worker logged "worker started" (it polls right after). */
  ready: Promise<void>;
  isReady(): boolean;
}

/**
 * `evidence-hub worker --config FILE` from the sources, as a real process (like test/support/processes.ts
 * spawnCli), logging at info so readiness can be seen; optionally as another user (uid/gid).
 */
export function spawnWorker(
  configFile: string,
  env: Record<string, string>,
  options: { uid?: number; gid?: number; cwd?: string } = {},
): WorkerProcess {
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd ?? root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
  };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'test', 'support', 'cli-process.ts'), 'worker', '--config', configFile],
    spawnOptions,
  );
  let out = '';
  let ready = false;
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const readyP = waitFor(
    'worker started',
    async () => {
      if (out.includes('"msg":"worker started"')) return true;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `worker exited before it started (${child.exitCode ?? child.signalCode}):\n${out.slice(-4_000)}`,
        );
      return undefined;
    },
    120_000,
    50,
  ).then(() => {
    ready = true;
  });
  readyP.catch(() => undefined);
  return {
    child,
    pid: child.pid!,
    identity: `${child.pid}@${os.hostname()}`,
    output: () => out,
    exited,
    ready: readyP,
    isReady: () => ready,
  };
}

export async function killHard(w: { child: ChildProcess; exited: Promise<unknown> }): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await w.exited;
}

// ---------------------------------------------------------------------------------------------------
// Temporal inspection

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const pendingActivityStarted = 2;

export interface RunningActivity {
  type: string;
  identity: string;
  attempt: number;
  /** The collection checkpoint last heartbeated, if any. */
  details?: { source?: string; count?: number; offset?: number };
}

/** Activities of a workflow that a worker is executing right now (state STARTED), with who runs them. */
export async function runningActivities(handle: WorkflowHandle): Promise<RunningActivity[]> {
  const d = await handle.describe();
  return (d.raw.pendingActivities ?? [])
    .filter((a) => Number(a.state) === pendingActivityStarted)
    .map((a) => {
      const details = checkpointFromHeartbeat(a.heartbeatDetails?.payloads);
      return {
        type: a.activityType?.name ?? '',
        identity: a.lastWorkerIdentity ?? '',
        attempt: a.attempt ?? 0,
        ...(details ? { details } : {}),
      };
    });
}

/** Every pending activity type of a workflow (scheduled, started or waiting for a retry). */
export async function pendingActivityTypes(handle: WorkflowHandle): Promise<string[]> {
  const d = await handle.describe();
  return (d.raw.pendingActivities ?? []).map((a) => a.activityType?.name ?? '');
}

// ---------------------------------------------------------------------------------------------------
// Store audits

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Every file under blobs/ of a filesystem store, referenced or not: its bytes must hash to its name and
 * it must sit in its two-hex-digit folder. Returns the problems (empty when the store is sound).
 */
export async function auditFsBlobs(storeRoot: string): Promise<{ blobs: string[]; problems: string[] }> {
  const base = path.join(storeRoot, 'blobs', 'sha256');
  const blobs: string[] = [];
  const problems: string[] = [];
  for (const prefix of await readdir(base)) {
    for (const name of await readdir(path.join(base, prefix))) {
      blobs.push(name);
      if (!/^[0-9a-f]{64}$/.test(name) || name.slice(0, 2) !== prefix)
        problems.push(`${prefix}/${name}: not a content address`);
      else if ((await sha256File(path.join(base, prefix, name))) !== name)
        problems.push(`${prefix}/${name}: bytes do not match the name`);
    }
  }
  return { blobs: blobs.sort(), problems };
}

/** Lines staged so far for one source of a bundle in a filesystem store (0 when none). */
export async function stagedLines(storeRoot: string, bundleId: string, source: string): Promise<number> {
  const text = await readFile(path.join(storeRoot, 'staging', bundleId, `${source}.jsonl`), 'utf8').catch(() => '');
  return text.length === 0 ? 0 : text.split('\n').length - 1;
}

/** All files under `dir`, as paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

export interface ActivityOutcome {
  type: string;
  /** The attempt that ended the activity (Temporal records one started event, for the last attempt). */
  attempt: number;
  outcome: 'completed' | 'failed' | 'timed-out' | 'pending';
  failureType?: string | undefined;
  failureMessage?: string | undefined;
}

/** Every activity a workflow scheduled, how many attempts it took, and how it ended. */
export async function activityOutcomes(handle: WorkflowHandle): Promise<ActivityOutcome[]> {
  const history = await handle.fetchHistory();
  const byId = new Map<string, ActivityOutcome>();
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) byId.set(id, { type: scheduled.activityType?.name ?? '', attempt: 0, outcome: 'pending' });
    const started = e.activityTaskStartedEventAttributes;
    if (started) byId.get(String(started.scheduledEventId))!.attempt = started.attempt ?? 0;
    if (e.activityTaskCompletedEventAttributes)
      byId.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId))!.outcome = 'completed';
    const failed = e.activityTaskFailedEventAttributes;
    if (failed) {
      const o = byId.get(String(failed.scheduledEventId))!;
      o.outcome = 'failed';
      o.failureType = failed.failure?.applicationFailureInfo?.type ?? undefined;
      o.failureMessage = failed.failure?.message ?? undefined;
    }
    if (e.activityTaskTimedOutEventAttributes)
      byId.get(String(e.activityTaskTimedOutEventAttributes.scheduledEventId))!.outcome = 'timed-out';
  }
  return [...byId.values()];
}
