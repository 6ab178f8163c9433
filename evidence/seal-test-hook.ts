import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * TEST HOOK (inert in production): lets the resilience suite SIGKILL a worker at a known instant of sealing,
 * which no timing can hit reliably (test/resilience/seal-kill.test.ts). Only when the environment sets
 * EVIDENCE_HUB_TEST_SEAL_BARRIER (a directory) and EVIDENCE_HUB_TEST_SEAL_AT names this point does sealing
 * stop here: it writes `<point>.<pid>` into that directory and then waits, never to go on, for the test to
 * kill the process. Without both variables this returns at once and touches nothing.
 */
export type SealPoint =
  /** The staged records are read; nothing of the bundle is written yet. */
  | 'before-commit'
  /** The manifest is committed to the chain; its checkpoint, the sources' state and staging cleanup are not done. */
  | 'after-commit';

export async function sealTestBarrier(point: SealPoint): Promise<void> {
  const dir = process.env['EVIDENCE_HUB_TEST_SEAL_BARRIER'];
  if (!dir || process.env['EVIDENCE_HUB_TEST_SEAL_AT'] !== point) return;
  await writeFile(path.join(dir, `${point}.${process.pid}`), `${new Date().toISOString()}\n`);
  await new Promise<never>(() => {
    // Held until SIGKILL: the activity's heartbeat timer keeps the process alive meanwhile.
  });
}
