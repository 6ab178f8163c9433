import { rm } from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import { startMinio, type MinioServer } from './minio';
import { suiteDir } from './tmp';

/**
 * One MinIO for a test file: started before its tests, stopped (and its data removed) after. Returns a
 * getter, since the server exists only once beforeAll has run.
 */
export function useMinio(): () => MinioServer {
  let server: MinioServer | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await suiteDir('eh-minio-');
    server = await startMinio(dir);
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (!server) throw new Error('MinIO is not started yet (use it inside tests or hooks)');
    return server;
  };
}
