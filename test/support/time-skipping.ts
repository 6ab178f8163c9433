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
  // The SDK gives the server 5 s to answer, fixed; a JVM on a loaded machine can take longer. A start that
  // timed out is tried again (three times at most); any other failure is the test's failure at once.
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: wrapper } },
      });
    } catch (err) {
      if (attempt >= 3 || !/did not start within/.test(String(err))) throw err;
    }
  }
}
