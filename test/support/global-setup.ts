import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Finds (or builds, once) the Temporal CLI before any test starts, so no test pays the Go build inside
 * its own timeout, and every test and child process uses the same binary.
 */
export default function setup(): void {
  const script = path.join(__dirname, '..', '..', 'scripts', 'ensure-temporal.sh');
  const cli = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 }).trim();
  process.env['TEMPORAL_CLI_PATH'] = cli.split('\n').at(-1);
}
