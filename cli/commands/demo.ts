import path from 'node:path';
import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { dataPath } from '../../core/data-files';
import { initSigningKey, loadHub, localStateDir } from '../../worker/hub';
import { syncSchedules } from '../../worker/schedules';
import { startDevServer } from '../../worker/temporal-server';
import { startDemoConsole } from '../demo-console';
import { createHubWorker, installTemporalLogging } from '../../worker/worker';
import { storeOption, type CommandContext } from '../command-kit';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { renderCounts, renderStatusTable } from '../status-table';
import { renderSystemMatrix } from '../system-matrix-table';
import { systemMatrix } from '../../mappings/system-matrix';
import { waitForSweep } from '../sweep-progress';
import { demoConfigOverrides, type DemoRegistryOptions } from './demo-registry';
import { catalogStatus } from './status';
import { readinessOf } from './readiness';
import { nextAudit } from '../../mappings/readiness';
import { startSweep } from './sweep';
import { startOperations } from '../../worker/operations';
import { signingKeyCheck, temporalCheck } from '../../worker/readiness';

export interface DemoOptions extends DemoRegistryOptions {
  config?: string;
  /** Keep the dev server (and its web UI) and the worker running until Ctrl-C. */
  serve?: boolean;
  /** With `serve`: the web console's port on 127.0.0.1 (default 8080; 0 picks a free one). */
  consolePort?: number;
  /** With `serve`: where /metrics, /healthz and /readyz are served (default: the config's worker.metricsAddress). */
  metricsAddress?: string;
  json?: boolean;
}

export const demoConfigPath = dataPath('examples', 'demo', 'evidence-hub.yaml');

/**
 * The whole product on one machine: an embedded Temporal dev server (SQLite, web UI), a worker, and a
 * sweep of the sample organisation in examples/demo, ending with the per-control summary.
 */
export async function runDemo(
  options: DemoOptions,
  log: Logger,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const hub = await loadHub(options.config ?? demoConfigPath, demoConfigOverrides(options));
  // The demo is the one place a key is created without asking: explicitly, the way `keys init` does it.
  const init = await initSigningKey(hub.config, hub.store);
  const key = init.key;
  if (init.created)
    err(`created demo signing key ${init.file} (${formatFingerprint(fingerprintOf(key.publicKeyPem))})`);
  // With --serve the demo is a worker like any other: the same operations endpoint (worker/operations.ts).
  const ops = options.serve
    ? await startOperations(hub, log, options.metricsAddress ?? hub.config.worker.metricsAddress)
    : undefined;
  ops?.readiness.set('signing-key', signingKeyCheck(hub.config, key));
  installTemporalLogging(log, ops?.sdk.telemetryOptions);
  err('starting embedded Temporal dev server (first run builds the CLI with Go, which takes a few minutes)...');
  const env = await startDevServer({ ui: true, dbFilename: path.join(localStateDir(hub.config), 'temporal.sqlite') });
  const uiUrl = `http://${uiAddress(env.address)}`;
  ops?.readiness.set('temporal', temporalCheck(env.nativeConnection));
  try {
    const worker = await createHubWorker(hub, key, log, {
      connection: env.nativeConnection,
      ...(ops ? { metrics: ops.metrics } : {}),
    });
    await worker.runUntil(async () => {
      err(`Temporal: ${env.address}   web UI: ${uiUrl}`);
      const schedules = await syncSchedules(env.client, hub.config);
      if (schedules.created.length + schedules.updated.length > 0)
        err(
          `schedules: ${[...schedules.created, ...schedules.updated].join(', ')} (see ${uiUrl}/namespaces/${hub.config.temporal.namespace}/schedules)`,
        );
      const handle = await startSweep(env.client, hub.config, { trigger: 'demo' });
      const result = await waitForSweep(handle, err);
      // Annex A, then the management-system clauses (status --catalog all).
      const [annexA, clauses] = (await catalogStatus(hub, { catalog: 'all' })).groups.map((g) => g.results);
      const results = annexA!;
      if (options.json) {
        const systems = hub.mappings.aiSystems ? { systems: systemMatrix([...results, ...clauses!]) } : {};
        out(
          JSON.stringify({ bundle: result.bundle, temporalUi: uiUrl, controls: results, clauses, ...systems }, null, 2),
        );
      } else {
        out(renderStatusTable(results));
        out('');
        out(`controls: ${renderCounts(results)}`);
        out('');
        out(renderStatusTable(clauses!));
        out('');
        out(`clauses:  ${renderCounts(clauses!)}`);
        // Per AI system (aiSystems: in the demo config): the matrix `status --by-system` prints.
        if (hub.mappings.aiSystems)
          out(
            `\nper AI system (evidence-hub status --by-system):\n${renderSystemMatrix(systemMatrix([...results, ...clauses!]))}\n`,
          );
        out(
          `bundle:   ${result.bundle.bundleId} (#${result.bundle.sequence}, ${result.bundle.artifactCount} artifacts)`,
        );
        out(`manifest: ${result.bundle.location}`);
        // The pin comes from the key the demo holds, as an auditor's would come from the organisation.
        out(
          `store:    ${hub.store.location}   (check it: evidence-hub verify ${hub.store.location} --trust ${formatFingerprint(fingerprintOf(key.publicKeyPem))})`,
        );
        out(`workflow: ${uiUrl}/namespaces/${hub.config.temporal.namespace}/workflows/${handle.workflowId}`);
        // The audit calendar's next audit, forecast from the evidence just collected (cli/commands/readiness.ts).
        if (hub.config.audits && nextAudit(hub.config.audits, new Date())) {
          const f = await readinessOf(hub);
          out(
            `audit:    ${f.audit.type} ${f.audit.id} on ${f.audit.date} (in ${f.daysToAudit} days): ${f.controls.length - f.notReady.length} of ${f.controls.length} controls and ${f.clauses.controls.length - f.clauses.notReady.length} of ${f.clauses.controls.length} clauses ready on the day, ${f.mustRefresh.length + f.clauses.mustRefresh.length} to refresh before it (evidence-hub readiness -c ${hub.config.file})`,
          );
        }
      }
      if (options.serve) {
        const web = await startDemoConsole(hub, env.address, options.consolePort ?? 8080, log);
        err(`serving: Temporal web UI at ${uiUrl}; press Ctrl-C to stop`);
        if (ops) err(`metrics:  http://${ops.server.address}/metrics   (also /healthz, /readyz)`);
        err(`console:  ${web.url}   (one local user, no sign-in, loopback only)`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await new Promise<void>((resolve) => web.server.close(() => resolve()));
      }
    });
  } finally {
    await ops?.close();
    await env.teardown();
  }
  return 0;
}

/** The SDK puts the UI on the server port + 1000 unless told otherwise. */
function uiAddress(address: string): string {
  const m = /^(.*):(\d+)$/.exec(address);
  return m ? `${m[1]}:${Number(m[2]) + 1000}` : address;
}

/** `evidence-hub demo`: see runDemo. */
export function registerDemo(program: Command, { io, log, setExitCode }: CommandContext): void {
  program
    .command('demo')
    .description('start an embedded Temporal dev server and worker, sweep the sample organisation, print the summary')
    .addOption(new Option('-c, --config <file>', 'config file (default: the shipped examples/demo config)'))
    .addOption(storeOption())
    .option('--serve', 'keep the dev server, web UI and worker running until Ctrl-C')
    .option(
      '--metrics-address <host:port>',
      'with --serve: serve /metrics, /healthz, /readyz here (default 127.0.0.1:9464)',
    )
    .option('--console-port <n>', 'with --serve: the web console on 127.0.0.1 at this port (default 8080)', (v) =>
      Number(v),
    )
    .option('--json', 'print the result as JSON')
    .option(
      '--with-mlflow <url>',
      'also collect this MLflow tracking server (credentials: MLFLOW_TRACKING_* variables)',
    )
    .option('--mlflow-metrics <names>', 'validation metrics for --with-mlflow, comma-separated', 'accuracy')
    .action(async (o) => {
      setExitCode(await runDemo(o, log, io.out, io.err));
    });
}
