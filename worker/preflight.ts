import type { Logger } from 'pino';
import { StoreUnavailableError } from '../core/errors';
import { SlackNotifier } from '../alerts/slack-notifier';
import { SlackUnavailableError } from '../alerts/errors';
import type { Signer } from '../evidence/signing';
import { TemporalRefusedError, TemporalUnreachableError } from './temporal-errors';
import { fingerprintOf, formatFingerprint } from '../evidence/trust/fingerprint';
import { signerStatus } from '../evidence/trust/signer-check';
import { loadSigningKey, type Hub } from './hub';

/**
 * What a worker checks before it polls: the store answers and accepts the credentials, the signing key is
 * the store's current (and trusted) key, and Slack accepts the bot token (auth.test). Every problem is
 * found in one start and named together, so a wrong token no longer goes unnoticed until a message is due.
 * Temporal and the store being *down* are not problems of the config: the worker waits for them with
 * backoff (`untilAvailable`) instead of exiting.
 */

/** The worker cannot run as configured; the message lists every reason, one per line. */
export class WorkerNotReadyError extends Error {
  override readonly name = 'WorkerNotReadyError';
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** Stop waiting (throw the last error) after this long; undefined waits until the process is stopped. */
  giveUpAfterMs?: number | undefined;
}

const defaultBackoff: Backoff = { initialMs: 1_000, maxMs: 30_000 };

/**
 * Calls `attempt` until it succeeds, waiting 1 s, 2 s, 4 s … (capped) between tries while `transient`
 * says the failure may pass; any other failure is thrown at once.
 */
export async function untilAvailable<T>(
  what: string,
  attempt: () => Promise<T>,
  log: Logger,
  transient: (err: unknown) => boolean,
  backoff: Backoff = defaultBackoff,
): Promise<T> {
  const started = Date.now();
  let delay = backoff.initialMs;
  for (let tries = 1; ; tries++) {
    try {
      const value = await attempt();
      if (tries > 1) log.info({ tries }, `${what} is available`);
      return value;
    } catch (err) {
      const expired = backoff.giveUpAfterMs !== undefined && Date.now() - started > backoff.giveUpAfterMs;
      if (!transient(err) || expired) throw err;
      log.warn({ err: messageOf(err), retryInMs: delay, tries }, `waiting for ${what}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(backoff.maxMs, delay * 2);
    }
  }
}

/**
 * A connection failure that a server coming up will cure (refused, unreachable, timed out), as opposed to
 * one that will not (TLS, certificates, credentials, namespace), which must fail the start at once.
 */
export function isUnreachable(err: unknown): boolean {
  // The connection module (worker/temporal-connection.ts) already told the two apart where it could.
  if (err instanceof TemporalUnreachableError) return true;
  if (err instanceof TemporalRefusedError) return false;
  const text = messageOf(err);
  if (/certificate|tls|ssl|handshake|unknown ca|api key|unauthenticated|permission|namespace/i.test(text)) return false;
  return /ECONNREFUSED|connection refused|UNAVAILABLE|deadline|timed? ?out|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|failed to connect|transport error|tcp connect/i.test(
    text,
  );
}

export interface Preflight {
  key: Signer;
  /** One line per check that passed, for the start log. */
  passed: string[];
}

/**
 * Runs the checks (the store first, waiting while it is unreachable) and throws WorkerNotReadyError
 * naming every failed one. Slack being *unreachable* is only logged: alerts are retried by the monitor.
 */
export async function preflight(hub: Hub, log: Logger, backoff: Backoff = defaultBackoff): Promise<Preflight> {
  const problems: string[] = [];
  const passed: string[] = [];
  let key: Signer | undefined;
  try {
    key = await loadSigningKey(hub.config, log);
  } catch (err) {
    problems.push(`signing key: ${messageOf(err)}`);
  }
  let storeOk = false;
  try {
    await untilAvailable(
      `the evidence store ${hub.store.location}`,
      () => hub.store.head(),
      log,
      (err) => err instanceof StoreUnavailableError,
      backoff,
    );
    storeOk = true;
    passed.push(`store ${hub.store.location} answers`);
  } catch (err) {
    problems.push(`store ${hub.store.location}: ${messageOf(err)}`);
  }
  if (key && storeOk) {
    try {
      // Not ready unless this key is the store's current (and, when pinned, trusted) key: a worker that
      // cannot seal must say so now, not by failing every sweep later.
      const signer = await signerStatus(hub.store, key, hub.config.signing.trustedKeys ?? []);
      if (signer.ready)
        passed.push(`signing key ${key.keyId} (${formatFingerprint(fingerprintOf(key.publicKeyPem))}) is current`);
      else problems.push(`signing key: ${signer.reason}`);
    } catch (err) {
      problems.push(`signing key: ${messageOf(err)}`);
    }
  }
  if (hub.config.alerts) {
    try {
      const notifier = await SlackNotifier.fromConfig(hub.config.alerts, hub.config.baseDir, {
        retryConfig: { retries: 1, minTimeout: 200, maxTimeout: 1_000 },
      });
      const who = await notifier.checkAuth();
      passed.push(`Slack token accepted (team ${who.team ?? '?'}, bot ${who.user ?? who.botId ?? '?'})`);
    } catch (err) {
      if (err instanceof SlackUnavailableError)
        log.warn({ err: messageOf(err) }, 'Slack is unreachable at start; alerts will be retried when due');
      else problems.push(`Slack: ${messageOf(err)}`);
    }
  }
  if (problems.length > 0 || !key)
    throw new WorkerNotReadyError(`worker not ready:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { key, passed };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
