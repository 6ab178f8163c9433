import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';

/**
 * Temporal's time-skipping test server (the Java SDK's, from Maven Central), handed to the SDK as an
 * existing path: a wrapper that execs java (scripts/ensure-temporal-test-server.sh). It has no
 * Schedules API; schedule tests use the dev server.
 */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const wrapper =
    process.env['TEMPORAL_TEST_SERVER_PATH'] ??
    execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'ensure-temporal-test-server.sh')], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .at(-1)!;
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: wrapper } },
  });
}
