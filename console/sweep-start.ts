import type { Logger } from 'pino';
import { mayAct, type Principal } from './auth';
import type { ConsoleSources } from './data';
import { recordOperatorAction } from './operator-actions';

/** Why a sweep was not started: the caller's role, or no Temporal client. Bad input stays ConsoleInputError. */
export class SweepRefused extends Error {
  override readonly name = 'SweepRefused';
  constructor(
    readonly status: 403 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** Starts a sweep on the worker (the CLI passes `sweep`'s own start); returns the workflow id. */
export type StartSweep = (
  input: { controls?: string | undefined; sources?: string[] | undefined },
  by: string,
) => Promise<string>;

export interface SweepStartDeps {
  startSweep?: StartSweep | undefined;
  sources: Pick<ConsoleSources, 'store'>;
  log: Logger;
}

/**
 * Starts a sweep for someone: the one path of the console's sweep button, its JSON API and the Slack app
 * (console/slack-app/). Operators and admins only; the start is logged and recorded as an operator action,
 * so the next sealed manifest carries, signed, who started it.
 */
export async function startConsoleSweep(
  deps: SweepStartDeps,
  who: Principal,
  controls: string | undefined,
  sourceIds?: string[] | undefined,
): Promise<string> {
  if (!mayAct(who, 'operator')) throw new SweepRefused(403, 'starting a sweep needs the operator role');
  if (!deps.startSweep) throw new SweepRefused(503, 'this console has no Temporal client to start sweeps with');
  const id = await deps.startSweep({ controls, ...(sourceIds?.length ? { sources: sourceIds } : {}) }, who.name);
  deps.log.info({ by: who.name, workflowId: id, ...(controls ? { controls } : {}) }, 'console started a sweep');
  await recordOperatorAction(deps.sources.store, deps.log, who, {
    action: 'sweep-started',
    workflowId: id,
    ...(controls ? { controls } : {}),
    ...(sourceIds?.length ? { sources: sourceIds } : {}),
  });
  return id;
}
