import type { RegisterCommand } from './command-kit';

/**
 * Every command, in the order `--help` lists them, with the summary `--help` shows and the module that
 * registers it. `main` imports only the module of the command that runs: importing all of them (Temporal
 * client and worker, cloud SDKs, the console) cost about two seconds of CPU before any command started, a
 * cold `status` included. The summaries repeat each command's `.description(...)` so `--help` needs no
 * module; test/unit/cli-help.test.ts fails when one drifts from its command.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<RegisterCommand>;
}

export const commandTable: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'start an embedded Temporal dev server and worker, sweep the sample organisation, print the summary',
    load: async () => (await import('./commands/demo.js')).registerDemo,
  },
  {
    name: 'worker',
    summary: 'run a worker that executes sweeps (connects to temporal.address or TEMPORAL_ADDRESS)',
    load: async () => (await import('./commands/worker.js')).registerWorker,
  },
  {
    name: 'sweep',
    summary: 'start a sweep on a running worker',
    load: async () => (await import('./commands/sweep.js')).registerSweep,
  },
  {
    name: 'status',
    summary: 'show every control with its status, deciding rule, newest evidence, stale-on date and reason',
    load: async () => (await import('./commands/status.js')).registerStatus,
  },
  {
    name: 'readiness',
    summary:
      'forecast every control and clause at the next audit of the calendar: what to refresh by when, what is missing',
    load: async () => (await import('./commands/readiness.js')).registerReadiness,
  },
  {
    name: 'verify',
    summary: 'verify a store or one bundle: blob hashes, Merkle roots, signatures, chain',
    load: async () => (await import('./commands/verify.js')).registerVerify,
  },
  {
    name: 'keys',
    summary: "the store's signing key: init, show (fingerprints to pin), rotate, replace-lost",
    load: async () => (await import('./commands/keys.js')).registerKeys,
  },
  {
    name: 'monitor',
    summary:
      "the monitors' own status: last staleness evaluation and Slack problems, last integrity verification, pending witnesses",
    load: async () => (await import('./commands/monitor.js')).registerMonitor,
  },
  {
    name: 'schedules',
    summary: 'Temporal Schedules declared in the config',
    load: async () => (await import('./commands/schedules.js')).registerSchedules,
  },
  {
    name: 'export',
    summary: 'write the audit pack for an observation window (bundles, blobs, keys, HTML report, OSCAL, VERIFY.md)',
    load: async () => (await import('./commands/export.js')).registerExport,
  },
  {
    name: 'prune',
    summary: 'delete evidence blobs of bundles sealed before a date, leaving signed tombstones (manifests stay)',
    load: async () => (await import('./commands/prune.js')).registerPrune,
  },
  {
    name: 'index',
    summary: 'the derived evidence index (a cache rebuilt from manifests)',
    load: async () => (await import('./commands/evidence-index.js')).registerIndex,
  },
  {
    name: 'upload',
    summary: 'file records only people can supply (training records, signed clauses) into the manual source, by topic',
    load: async () => (await import('./commands/upload.js')).registerUpload,
  },
  {
    name: 'mappings',
    summary: 'work with mapping files',
    load: async () => (await import('./commands/mappings.js')).registerMappings,
  },
  {
    name: 'serve',
    summary: 'serve the web console and its JSON API',
    load: async () => (await import('./commands/serve.js')).registerServe,
  },
];
