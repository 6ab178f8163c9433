import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Finds or builds the real servers' binaries before any test starts, so no test pays a Go build or a
 * Maven download inside its own timeout, and every test and child process uses the same binaries.
 */
export default function setup(): void {
  const scripts = path.join(__dirname, '..', '..', 'scripts');
  const ensure = (script: string) =>
    execFileSync('bash', [path.join(scripts, script)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 30 * 60_000,
    })
      .trim()
      .split('\n')
      .at(-1)!;
  process.env['TEMPORAL_CLI_PATH'] = ensure('ensure-temporal.sh');
  process.env['MINIO_PATH'] = ensure('ensure-minio.sh');
  process.env['TEMPORAL_TEST_SERVER_PATH'] = ensure('ensure-temporal-test-server.sh');
  process.env['MLFLOW_CLI_PATH'] = ensure('ensure-mlflow.sh');
  process.env['PROMTOOL_PATH'] = ensure('ensure-promtool.sh');
}
