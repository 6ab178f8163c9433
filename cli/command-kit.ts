import { CommanderError, Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { InputError } from '../core/yaml-source';
import { RetentionRefused } from '../evidence/retention';

/**
 * What every command shares: the --config and --store options, the exit codes, command-line dates and
 * the mistakes reported as usage errors. Each command lives in its own file in commands/.
 */

/**
 * Exit codes of every command: 0 ok, 1 failure (or verification failed), 2 bad input; `verify` only: 3 when
 * integrity checked out but no trust anchor was given, so authenticity was not established.
 */
export const exitCodes = { ok: 0, failure: 1, usage: 2, notAuthenticated: 3 } as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** What a command gets when it is registered: where output goes, the logger, and its exit code. */
export interface CommandContext {
  io: Io;
  log: Logger;
  /** The exit code `main` returns when the command finishes without throwing (0 unless set). */
  setExitCode(code: number): void;
}

/** Adds one command (or command group) to the program. */
export type RegisterCommand = (program: Command, cx: CommandContext) => void;

export const defaultConfig = 'evidence-hub.yaml';

export const configOption = () => new Option('-c, --config <file>', 'config file').default(defaultConfig);
export const storeOption = () =>
  new Option('-s, --store <dir>', "evidence store folder (overrides the config's store.path)");
/** The config overrides a command's --store asks for. */
export const storeOverrides = (o: { store?: string }) => (o.store ? { store: o.store } : {});

/** A command-line mistake: reported without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `2026-01-31` means the end of that day (UTC): what was known by then. */
export function parseAsOf(text: string): Date {
  return parseDateArg(text, 'end', '--as-of');
}

/** A command-line date: a bare YYYY-MM-DD means the start or the end of that UTC day. */
export function parseDateArg(text: string, edge: 'start' | 'end', flag = 'date'): Date {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const t = Date.parse(dateOnly ? `${text}T${edge === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : text);
  if (Number.isNaN(t)) throw new UsageError(`${flag} "${text}" is not a date; use YYYY-MM-DD or an RFC 3339 time`);
  return new Date(t);
}

/**
 * Reports what a command threw and returns the exit code: bad input (invalid files, usage mistakes, a
 * refused prune) is 2 and printed without a stack trace; anything else is 1, with details at debug level.
 */
export function exitCodeFor(err: unknown, io: Io, log: Logger): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  if (err instanceof InputError) {
    io.err(
      `evidence-hub: invalid input:\n${err.message
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );
    return exitCodes.usage;
  }
  if (err instanceof UsageError || err instanceof RetentionRefused) {
    io.err(`evidence-hub: ${err.message}`);
    return exitCodes.usage;
  }
  io.err(`evidence-hub: ${(err as Error).message ?? err}`);
  log.debug({ err }, 'command failed');
  return exitCodes.failure;
}
