// Runs the CLI from sources in a child process (tests spawn workers they can SIGKILL).
import { main } from '../../cli/main';

/**
 * Exits once stdout and stderr have handed over everything written to them: on a pipe those writes are
 * asynchronous, and a bare process.exit() can cut a large `--json` answer short (seen on Node 24).
 */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    exitAfterFlush(1);
  },
);
