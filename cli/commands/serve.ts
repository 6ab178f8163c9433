import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { ConsoleAuth } from '../../console/auth';
import { OidcSignIn } from '../../console/oidc';
import { ConsoleInputError, startConsole, type ConsoleOptions } from '../../console/server';
import { startSlackApp } from '../../console/slack-app/socket';
import { loadHub, type Hub } from '../../worker/hub';
import { configOption, storeOption, storeOverrides, UsageError, type CommandContext } from '../command-kit';
import { connectClient } from '../connect';
import { consoleActions } from '../console-actions';
import { consoleEvaluations } from '../console-evaluations';
import { nextAudit } from '../../mappings/readiness';
import { readinessOf } from './readiness';
import { sourcesForControls, startSweep } from './sweep';

/**
 * The console wired to a loaded hub: the store read exactly as `status` reads it (the same `controlStatus`),
 * sweeps started exactly as `sweep` starts them. The Temporal client is made on the first sweep, so reading
 * works while Temporal is down.
 */
export function consoleOptions(
  hub: Hub,
  auth: ConsoleAuth,
  log: Logger,
  insecureLocal = false,
  oidc?: OidcSignIn,
): ConsoleOptions {
  let client: Client | undefined;
  const connected = async () => (client ??= await connectClient(hub.config));
  // `status` and the clauses from one evaluation, cached per store head and day (cli/console-evaluations.ts).
  const evaluations = consoleEvaluations(hub, log);
  return {
    actions: consoleActions(hub, connected),
    sources: {
      store: hub.store,
      status: evaluations.status,
      // A control id is its own glob: ids hold letters, digits and dots only.
      sourcesFeeding: (control) => sourcesForControls(hub, control),
      aiSystems: hub.mappings.aiSystems !== undefined,
      // The `readiness` command's forecast for the next audit; none once the calendar's last audit has passed.
      ...(hub.config.audits
        ? { readiness: async () => (nextAudit(hub.config.audits!, new Date()) ? readinessOf(hub) : undefined) }
        : {}),
    },
    auth,
    insecureLocal,
    ...(oidc ? { oidc, secureCookies: oidc.secureCookies } : {}),
    log,
    startSweep: async ({ controls, sources: chosen }) => {
      // The same scoping as `sweep --controls/--sources`: with both, the chosen sources that feed the controls.
      const known = new Set(hub.config.sources.map((s) => s.id));
      const unknown = (chosen ?? []).filter((s) => !known.has(s));
      if (unknown.length > 0)
        throw new ConsoleInputError(`no configured source ${unknown.map((s) => `"${s}"`).join(', ')}`);
      let sources: string[] | undefined = chosen?.length ? chosen : undefined;
      try {
        if (controls) {
          const feeding = sourcesForControls(hub, controls);
          sources = sources ? sources.filter((s) => feeding.includes(s)) : feeding;
        }
      } catch (err) {
        if (err instanceof UsageError) throw new ConsoleInputError(err.message);
        throw err;
      }
      if (sources?.length === 0) throw new ConsoleInputError(`no configured source feeds controls "${controls}"`);
      const handle = await startSweep(await connected(), hub.config, {
        trigger: 'manual',
        ...(sources ? { sources } : {}),
      });
      return handle.workflowId;
    },
  };
}

/**
 * Starts the console's first evaluation in the background (a minute at a million artifacts) once the server
 * listens: the first requests share it instead of the first visitor starting it; later ones are answered from
 * it while newer heads are evaluated (console/evaluation-cache.ts).
 */
export function warmConsole(options: ConsoleOptions, log: Logger): void {
  options.sources.status().catch((err: unknown) => log.warn({ err }, 'warming the console evaluation failed'));
}

/**
 * `evidence-hub serve`: the web console and its JSON API (console/). It reads the store exactly as `status`
 * does (the same `controlStatus`) and starts sweeps exactly as `sweep` does; it needs no worker of its own.
 */
export function registerServe(program: Command, { io, log }: CommandContext): void {
  program
    .command('serve')
    .description('serve the web console and its JSON API')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--port <n>', 'port to listen on', (v) => Number(v), 8080)
    .option('--host <address>', 'address to listen on (default: all addresses; 127.0.0.1 with --insecure-local)')
    .option('--insecure-local', 'no sign-in: a single local user, admin, on 127.0.0.1 only')
    .action(async (o) => {
      if (!(Number.isInteger(o.port) && o.port >= 0 && o.port < 65536))
        throw new UsageError('--port must be a whole number from 0 to 65535');
      const hub = await loadHub(o.config, storeOverrides(o));
      const auth = await ConsoleAuth.fromConfig(hub.config.console, hub.config.baseDir);
      const insecureLocal = Boolean(o.insecureLocal);
      const oidcConfig = hub.config.console?.oidc;
      const oidc = oidcConfig
        ? await OidcSignIn.fromConfig(oidcConfig, hub.config.baseDir, auth.signerFor('oidc-flow'))
        : undefined;
      if (!auth.configured && !oidc && !insecureLocal)
        throw new UsageError(
          `no sign-in is configured: add console.tokens or console.oidc to ${hub.config.file} (see docs/console.md), or pass --insecure-local to serve one local user on 127.0.0.1`,
        );
      if (!insecureLocal && !hub.config.console?.sessionSecret)
        log.warn(
          'console.sessionSecret is not set: sessions are signed with a key made for this process, so a restart signs everyone out and replicas refuse each other’s sessions',
        );
      if (insecureLocal && o.host && o.host !== '127.0.0.1' && o.host !== '::1')
        throw new UsageError('--insecure-local listens on loopback only; drop --host');
      const host = insecureLocal ? '127.0.0.1' : (o.host ?? '0.0.0.0');
      const options = consoleOptions(hub, auth, log, insecureLocal, oidc);
      const server = await startConsole(options, host, o.port);
      warmConsole(options, log);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : o.port;
      io.out(`evidence-hub console on http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`);
      // The Slack app (console.slack): /evidence and the Re-collect button, stopped with the console. A Slack
      // that refuses the app token is logged and the console keeps serving: the web console needs no Slack.
      const slackConfig = hub.config.console?.slack;
      const slack = slackConfig
        ? await startSlackApp(
            slackConfig,
            { ...options, publicUrl: hub.config.console?.publicUrl },
            hub.config.baseDir,
          ).catch((err: unknown) => {
            log.error(
              { err },
              'the Slack app did not start (check console.slack.appToken); the console runs without it',
            );
            return undefined;
          })
        : undefined;
      await new Promise<void>((resolve) => {
        const stop = () =>
          void (slack?.stop() ?? Promise.resolve())
            .catch((err: unknown) => log.warn({ err }, 'closing the Slack connection failed'))
            .finally(() => server.close(() => resolve()));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
