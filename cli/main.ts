import { Command } from 'commander';
import { createLogger } from '../worker/logger';
import { exitCodeFor, exitCodes, type Io } from './command-kit';
import { commandTable } from './command-table';
import { addTemporalProfileOption } from './temporal-profile';

/** Runs the CLI and returns the exit code: 0 ok, 1 failure (or verification failed), 2 bad input. */
export async function main(
  argv: string[],
  io: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') },
): Promise<number> {
  // The demo is read by people: only warnings and errors reach the terminal unless LOG_LEVEL says otherwise.
  const log = createLogger(argv[0] === 'demo' && !process.env['LOG_LEVEL'] ? { level: 'warn' } : {});
  let exitCode: number = exitCodes.ok;
  const program = new Command('evidence-hub')
    .description('ISO/IEC 42001 evidence collection: signed, content-addressed evidence bundles on Temporal')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const context = {
    io,
    log,
    setExitCode: (code: number) => {
      exitCode = code;
    },
  };
  addTemporalProfileOption(program);
  // Only the modules of commands named on the command line are loaded (cli/command-table.ts); every other
  // command is listed by name and summary, so `--help` and "did you mean" still know all of them.
  for (const entry of commandTable) {
    if (argv.includes(entry.name)) (await entry.load())(program, context);
    else program.command(entry.name).description(entry.summary).allowUnknownOption().allowExcessArguments();
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return exitCodeFor(err, io, log);
  }
}
