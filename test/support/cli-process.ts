// Runs the CLI from sources in a child process (tests spawn workers they can SIGKILL).
import { main } from '../../cli/main';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
