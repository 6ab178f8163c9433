import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { dataPath } from '../core/data-files';

const run = promisify(execFile);

/**
 * Path of a Temporal CLI found or built by scripts/ensure-temporal.sh (the one place that logic lives),
 * or undefined when there is none and no Go to build it: then the SDK's own download is the fallback.
 */
export async function findTemporalCli(): Promise<string | undefined> {
  try {
    const { stdout } = await run('bash', [dataPath('scripts', 'ensure-temporal.sh')], {
      maxBuffer: 1 << 20,
      timeout: 15 * 60_000,
    });
    return stdout.trim().split('\n').at(-1) || undefined;
  } catch (err) {
    if ((err as { code?: number }).code === 3) return undefined;
    throw new Error(`could not find or build the temporal CLI: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

export interface DevServerOptions {
  /** SQLite file for persistence across restarts; in-memory when absent. */
  dbFilename?: string;
  ui?: boolean;
  port?: number;
  uiPort?: number;
  namespace?: string;
}

/**
 * Starts `temporal server start-dev` through the SDK's test environment, with the CLI given as an
 * existing path. The SDK picks free ports unless told otherwise and stops the server on teardown.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const cli = await findTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli ? { executable: { type: 'existing-path', path: cli } } : {}),
      ip: '127.0.0.1',
      ...(options.port ? { port: options.port } : {}),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      ...(options.ui ? { ui: true, ...(options.uiPort ? { uiPort: options.uiPort } : {}) } : {}),
      namespace: options.namespace ?? 'default',
      log: { format: 'json', level: 'error' },
    },
  });
}
