import { Command } from 'commander';
import { createLogger } from '../worker/logger';
import { exitCodeFor, exitCodes, type Io, type RegisterCommand } from './command-kit';
import { registerDemo } from './commands/demo';
import { registerIndex } from './commands/evidence-index';
import { registerKeys } from './commands/keys';
import { registerExport } from './commands/export';
import { registerMappings } from './commands/mappings';
import { registerMonitor } from './commands/monitor';
import { registerPrune } from './commands/prune';
import { registerReadiness } from './commands/readiness';
import { registerSchedules } from './commands/schedules';
import { registerServe } from './commands/serve';
import { registerStatus } from './commands/status';
import { registerSweep } from './commands/sweep';
import { registerUpload } from './commands/upload';
import { registerVerify } from './commands/verify';
import { registerWorker } from './commands/worker';
import { addTemporalProfileOption } from './temporal-profile';

/** Every command, in the order `--help` lists them. */
const commands: RegisterCommand[] = [
  registerDemo,
  registerWorker,
  registerSweep,
  registerStatus,
  registerReadiness,
  registerVerify,
  registerKeys,
  registerMonitor,
  registerSchedules,
  registerExport,
  registerPrune,
  registerIndex,
  registerUpload,
  registerMappings,
  registerServe,
];

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
  for (const register of commands) register(program, context);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    return exitCodeFor(err, io, log);
  }
}
