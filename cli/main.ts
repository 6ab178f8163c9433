import { Command, CommanderError, Option } from 'commander';
import { loadCatalog } from '../mappings/catalog';
import { expandMappingPaths, loadMappings } from '../mappings/load';
import { InputError } from '../core/yaml-source';
import { parseDuration } from '../core/duration';
import { prune, RetentionRefused } from '../evidence/retention';
import { loadConfig } from '../config/config';
import { loadHub, loadSigningKey } from '../worker/hub';
import { createLogger } from '../worker/logger';
import { connectWorker, createHubWorker, ensureMonitor, installTemporalLogging } from '../worker/worker';
import { monitorStatusQuery, monitorWorkflowId, type MonitorStatus } from '../workflows/monitor';
import { runDemo } from './commands/demo';
import { runExport } from './commands/export';
import { backfillSchedule, listSchedules, syncSchedules } from '../worker/schedules';
import { evidenceForControl, loadIndex, newestPerControl, rebuildIndex } from '../evidence/index';
import { controlStatus, parseAsOf, parseDateArg, UsageError } from './commands/status';
import { connectClient, onInterrupt, sourcesForControls, startSweep, waitForSweep } from './commands/sweep';
import { runUpload } from './commands/upload';
import { renderVerify, verifyTarget } from './commands/verify';
import { renderCounts, renderStatusTable } from './status-table';

const defaultConfig = 'evidence-hub.yaml';

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const list = (xs: string[]) => (xs.length > 0 ? xs.join(', ') : 'none');

/** Runs the CLI and returns the exit code: 0 ok, 1 failure (or verification failed), 2 bad input. */
export async function main(
  argv: string[],
  io: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') },
): Promise<number> {
  // The demo is read by people: only warnings and errors reach the terminal unless LOG_LEVEL says otherwise.
  const log = createLogger(argv[0] === 'demo' && !process.env['LOG_LEVEL'] ? { level: 'warn' } : {});
  let exitCode = 0;
  const program = new Command('evidence-hub')
    .description('ISO/IEC 42001 evidence collection: signed, content-addressed evidence bundles on Temporal')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const configOpt = () => new Option('-c, --config <file>', 'config file').default(defaultConfig);
  const storeOpt = () => new Option('-s, --store <dir>', "evidence store folder (overrides the config's store.path)");
  const overrides = (o: { store?: string }) => (o.store ? { store: o.store } : {});

  program
    .command('demo')
    .description('start an embedded Temporal dev server and worker, sweep the sample organisation, print the summary')
    .addOption(new Option('-c, --config <file>', 'config file (default: the shipped examples/demo config)'))
    .addOption(storeOpt())
    .option('--serve', 'keep the dev server, web UI and worker running until Ctrl-C')
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      exitCode = await runDemo(o, log, io.out, io.err);
    });

  program
    .command('worker')
    .description('run a worker that executes sweeps (connects to temporal.address or TEMPORAL_ADDRESS)')
    .addOption(configOpt())
    .addOption(storeOpt())
    .option('--no-sync-schedules', "don't make the Temporal schedules match the config on start")
    .action(async (o) => {
      const hub = await loadHub(o.config, overrides(o));
      const key = await loadSigningKey(hub.config, log);
      installTemporalLogging(log);
      const client = await connectClient(hub.config);
      if (o.syncSchedules !== false) {
        const report = await syncSchedules(client, hub.config);
        log.info({ schedules: report }, 'schedules synced');
      }
      const monitor = await ensureMonitor(client, hub);
      if (monitor) log.info({ workflowId: monitor }, 'staleness monitor running');
      const connection = await connectWorker(hub.config.temporal.address);
      const worker = await createHubWorker(hub, key, log, { connection });
      const stop = () => worker.shutdown();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      log.info(
        { address: hub.config.temporal.address, taskQueue: hub.config.temporal.taskQueue, store: hub.store.location },
        'worker started',
      );
      await worker.run();
      await connection.close();
    });

  program
    .command('sweep')
    .description('start a sweep on a running worker')
    .addOption(configOpt())
    .addOption(storeOpt())
    .option('--controls <glob>', 'collect exactly the sources that feed these controls, e.g. "A.6.*"')
    .option('--sources <ids>', 'comma-separated source ids (default: all)')
    .option('--since <date>', 'collect only what changed since this date, where the source supports it')
    .option('--concurrency <n>', 'sources collected at once', (v) => Number(v))
    .option('--wait', 'wait for the sweep, showing progress, then print the readiness table')
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, overrides(o));
      const client = await connectClient(hub.config);
      let sources: string[] | undefined = o.sources
        ? String(o.sources)
            .split(',')
            .map((s: string) => s.trim())
            .filter(Boolean)
        : undefined;
      if (o.controls) {
        const feeding = sourcesForControls(hub, o.controls);
        sources = sources ? sources.filter((s) => feeding.includes(s)) : feeding;
        if (sources.length === 0) throw new UsageError(`no configured source feeds controls "${o.controls}"`);
      }
      const since = o.since ? parseDateArg(o.since, 'start', '--since').toISOString() : undefined;
      if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency > 0))
        throw new UsageError('--concurrency must be a positive whole number');
      const handle = await startSweep(client, hub.config, {
        trigger: 'manual',
        ...(sources ? { sources } : {}),
        ...(since ? { since } : {}),
        ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      });
      if (!o.wait) {
        io.out(
          o.json
            ? JSON.stringify({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId })
            : `started sweep ${handle.workflowId}`,
        );
        return;
      }
      const stopListening = onInterrupt(handle, io.err);
      let result;
      try {
        result = await waitForSweep(handle, o.json ? () => undefined : io.err, 500, client);
      } finally {
        stopListening();
      }
      const { results } = await controlStatus(hub, o.controls ? { controls: o.controls } : {});
      if (o.json) io.out(JSON.stringify({ ...result, controls: results }, null, 2));
      else {
        io.out(
          `bundle ${result.bundle.bundleId} (#${result.bundle.sequence}): ${result.bundle.artifactCount} artifacts, manifest ${result.bundle.location}`,
        );
        for (const s of result.sources) {
          if (s.status === 'failed') io.out(`source ${s.source} FAILED: ${s.error.message}`);
          if (s.status === 'partial') io.out(`source ${s.source} collected with problems: ${s.problems.join('; ')}`);
        }
        io.out('');
        io.out(renderStatusTable(results));
        io.out(`\nreadiness: ${renderCounts(results)}`);
      }
      if (result.sources.some((s) => s.status !== 'ok')) exitCode = 1;
    });

  program
    .command('status')
    .description('show every control with its status, newest evidence, due date and reason')
    .addOption(configOpt())
    .addOption(storeOpt())
    .option('--as-of <date>', 'evaluate as of a past date (YYYY-MM-DD or RFC 3339): only what was known then')
    .option('--controls <glob>', 'only controls matching this glob, e.g. "A.6.*"')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, overrides(o));
      const { asOf, results } = await controlStatus(hub, {
        ...(o.asOf ? { asOf: o.asOf } : {}),
        ...(o.controls ? { controls: o.controls } : {}),
      });
      if (o.json) io.out(JSON.stringify({ asOf, controls: results }, null, 2));
      else {
        io.out(renderStatusTable(results));
        io.out(`\nas of ${asOf}: ${renderCounts(results)}`);
      }
    });

  program
    .command('verify')
    .description('verify a store or one bundle: blob hashes, Merkle roots, signatures, chain')
    .argument('<path>', 'store folder, <store>/manifests/<sequence>.json, or s3://bucket/prefix')
    .option('--from <date>', 'only bundles sealed on or after this date')
    .option('--to <date>', 'only bundles sealed on or before this date (a date means the end of that day)')
    .addOption(
      new Option('-c, --config <file>', 'config for S3 settings (endpoint, credentials)').default(defaultConfig),
    )
    .option('--json', 'print the report as JSON')
    .action(async (target: string, o) => {
      const report = await verifyTarget(target, {
        config: o.config,
        ...(o.from ? { from: parseDateArg(o.from, 'start') } : {}),
        ...(o.to ? { to: parseDateArg(o.to, 'end') } : {}),
      });
      io.out(o.json ? JSON.stringify(report, null, 2) : renderVerify(report));
      if (!report.ok) exitCode = 1;
    });

  program
    .command('monitor')
    .description("the staleness monitor's own status: last evaluation, alerts posted, Slack problems")
    .addOption(configOpt())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const config = await loadConfig(o.config);
      const client = await connectClient(config);
      const status: MonitorStatus = await client.workflow
        .getHandle(monitorWorkflowId(config.temporal.taskQueue))
        .query(monitorStatusQuery);
      if (o.json) io.out(JSON.stringify(status, null, 2));
      else {
        io.out(
          `monitor: ${status.state}, ${status.runs} evaluation(s), last ${status.lastRunAt ?? 'never'}, ${status.posted} alert(s) posted`,
        );
        if (status.lastError)
          io.out(`  last error (${status.lastError.at}): ${status.lastError.type}: ${status.lastError.message}`);
      }
      if (status.state !== 'ok') exitCode = 1;
    });

  const schedules = program.command('schedules').description('Temporal Schedules declared in the config');
  schedules
    .command('sync')
    .description('create, update and delete our schedules to match the config (foreign schedules are left alone)')
    .addOption(configOpt())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const config = await loadConfig(o.config);
      const report = await syncSchedules(await connectClient(config), config);
      io.out(
        o.json
          ? JSON.stringify(report)
          : `schedules: created ${list(report.created)}; updated ${list(report.updated)}; deleted ${list(report.deleted)}; unchanged ${list(report.unchanged)}`,
      );
    });
  schedules
    .command('list')
    .description('our schedules with their next run times')
    .addOption(configOpt())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const config = await loadConfig(o.config);
      const rows = await listSchedules(await connectClient(config), config);
      if (o.json) io.out(JSON.stringify(rows, null, 2));
      else
        for (const r of rows)
          io.out(
            `${r.id.padEnd(20)} ${r.paused ? 'PAUSED ' : 'active '} ${r.spec}  next: ${r.nextRuns.join(', ') || '-'}`,
          );
    });
  schedules
    .command('backfill')
    .description('run a schedule for every time it would have fired in a past date range')
    .argument('<id>', 'schedule id from the config')
    .requiredOption('--from <date>', 'start of the range')
    .requiredOption('--to <date>', 'end of the range')
    .addOption(configOpt())
    .action(async (id: string, o) => {
      const config = await loadConfig(o.config);
      await backfillSchedule(
        await connectClient(config),
        config,
        id,
        parseDateArg(o.from, 'start', '--from'),
        parseDateArg(o.to, 'end', '--to'),
      );
      io.out(`backfill of ${id} from ${o.from} to ${o.to} requested`);
    });

  program
    .command('export')
    .description('write the audit pack for an observation window (bundles, blobs, keys, HTML report, OSCAL, VERIFY.md)')
    .requiredOption('--from <date>', 'window start (YYYY-MM-DD = start of that UTC day)')
    .requiredOption('--to <date>', 'window end (YYYY-MM-DD = end of that UTC day)')
    .option('--controls <glob>', 'only these controls in the report and OSCAL, e.g. "A.6.*"')
    .requiredOption('--out <file>', 'archive to write: .zip, .tar.gz or .tgz')
    .option('--pdf <file>', 'also print the summary page to PDF (headless Chromium)')
    .option('--json', 'print the result as JSON')
    .addOption(configOpt())
    .addOption(storeOpt())
    .action(async (o) => {
      const hub = await loadHub(o.config, overrides(o));
      exitCode = await runExport(hub, o, io);
    });

  program
    .command('prune')
    .description('delete evidence blobs of bundles sealed before a date, leaving signed tombstones (manifests stay)')
    .requiredOption('--before <date>', 'prune bundles sealed before this date')
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .addOption(configOpt())
    .addOption(storeOpt())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, overrides(o));
      const key = await loadSigningKey(hub.config, log);
      await hub.store.registerKey(key, new Date());
      const report = await prune(hub.store, key, {
        before: parseDateArg(o.before, 'start', '--before'),
        lookBackMs: parseDuration(hub.config.retention.lookBack)!,
        dryRun: Boolean(o.dryRun),
      });
      if (o.json) io.out(JSON.stringify(report, null, 2));
      else
        io.out(
          `${report.dryRun ? 'would prune' : 'pruned'} ${report.blobsDeleted.length} blob(s), ${report.bytesFreed} bytes, from ${report.bundles.length} bundle(s) sealed before ${report.before}; ${report.blobsKept} blob(s) still used by newer bundles kept`,
        );
    });

  const index = program.command('index').description('the derived evidence index (a cache rebuilt from manifests)');
  index
    .command('rebuild')
    .description('recreate the index from the manifests alone')
    .addOption(configOpt())
    .addOption(storeOpt())
    .action(async (o) => {
      const hub = await loadHub(o.config, overrides(o));
      const rebuilt = await rebuildIndex(hub.store);
      io.out(
        `rebuilt index of ${hub.store.location}: ${rebuilt.bundles.length} bundle(s), ${rebuilt.artifacts.length} distinct artifact(s)`,
      );
    });
  index
    .command('newest')
    .description('the newest evidence per control (as of a date)')
    .addOption(configOpt())
    .addOption(storeOpt())
    .option('--as-of <date>', 'only what was known by then')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, overrides(o));
      const rows = newestPerControl(await loadIndex(hub.store), o.asOf ? parseAsOf(o.asOf) : undefined);
      if (o.json) io.out(JSON.stringify(rows, null, 2));
      else
        for (const r of Object.values(rows))
          io.out(
            `${r.control.padEnd(8)} ${r.observedAt}  ${r.id}  (bundle #${r.bundle}, sha256 ${r.sha256.slice(0, 12)})`,
          );
    });
  index
    .command('evidence')
    .description('evidence mapped to a control and observed in a date range')
    .argument('<control>', 'control id, e.g. A.6.2.6')
    .requiredOption('--from <date>', 'observed on or after')
    .requiredOption('--to <date>', 'observed on or before (a date means the end of that day)')
    .addOption(configOpt())
    .addOption(storeOpt())
    .option('--json', 'print JSON')
    .action(async (control: string, o) => {
      const hub = await loadHub(o.config, overrides(o));
      if (!hub.mappings.catalog.controls.some((c) => c.id === control))
        throw new UsageError(`unknown control "${control}"`);
      const rows = evidenceForControl(
        await loadIndex(hub.store),
        control,
        parseDateArg(o.from, 'start', '--from'),
        parseDateArg(o.to, 'end', '--to'),
      );
      if (o.json) io.out(JSON.stringify(rows, null, 2));
      else
        for (const r of rows)
          io.out(`${r.observedAt}  ${r.id}  (bundle #${r.bundle}, sha256 ${r.sha256.slice(0, 12)})`);
    });

  program
    .command('upload')
    .description(
      'file records only people can supply (training records, signed clauses) into the manual source, by topic',
    )
    .argument('<files...>', 'files to file as records')
    .requiredOption(
      '-t, --topic <topic>',
      'what the records evidence, as the mappings name it (e.g. training, contract-clauses)',
    )
    .option('--source <id>', 'the manual source (needed when several are configured)')
    .option('--date <yyyy-mm-dd>', 'when the records took effect (default: today); freshness counts from it')
    .option('--note <text>', 'a note kept with the record')
    .option('--by <name>', 'who files them (default: the OS user)')
    .option('--any-topic', 'file under a topic no mapping rule reads by name')
    .addOption(configOpt())
    .action(async (files: string[], o) => {
      await runUpload(files, o, new Date(), io.out);
    });

  const mappings = program.command('mappings').description('work with mapping files');
  mappings
    .command('check')
    .description('validate mapping files (default: those the config names) without running anything')
    .argument('[files...]', 'mapping files to check, in override order')
    .addOption(configOpt())
    .action(async (files: string[], o) => {
      const paths =
        files.length > 0
          ? files
          : expandMappingPaths(
              ...(await loadConfig(o.config).then(
                (c) => [c.mappings, c.baseDir, new Set(c.sources.map((s) => s.type))] as const,
              )),
            );
      const set = await loadMappings(paths, loadCatalog());
      const covered = new Set(set.rules.flatMap((r) => r.controls));
      io.out(
        `OK: ${set.rules.length} rules in ${paths.length} file(s) cover ${covered.size} of ${set.catalog.controls.length} controls`,
      );
      const uncovered = set.catalog.controls.filter((c) => !covered.has(c.id)).map((c) => c.id);
      if (uncovered.length > 0) io.out(`not covered (they will show as missing): ${uncovered.join(', ')}`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof InputError) {
      io.err(
        `evidence-hub: invalid input:\n${err.message
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}`,
      );
      return 2;
    }
    if (err instanceof UsageError || err instanceof RetentionRefused) {
      io.err(`evidence-hub: ${err.message}`);
      return 2;
    }
    io.err(`evidence-hub: ${(err as Error).message ?? err}`);
    log.debug({ err }, 'command failed');
    return 1;
  }
}
