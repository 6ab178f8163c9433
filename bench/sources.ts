// The code each benchmark measures, per figure `benchmark` name: `npm run bench -- --check` marks a figure
// stale when a commit after the figure's own changed any of these paths (bench/stale.ts). Paths are
// folders or files relative to the repository root; a folder covers everything under it. Declared by hand
// from each bench script's imports, generously: a figure wrongly called stale costs a re-run, a figure
// wrongly called current misleads a reader.
// The whole sweep path: workflows, activities, connectors, store, sealing, and the fakes it talks to.
const sweepPath = [
  'bench/sweep.ts',
  'workflows',
  'activities',
  'connectors',
  'evidence',
  'mappings',
  'core',
  'worker',
  'config',
  'cli/commands/sweep.ts',
  'test/fakes',
] as const;

export const benchmarkSources: Record<string, readonly string[]> = {
  // bench/evaluate.ts: the grouping and rule evaluation over the default mappings.
  evaluation: ['bench/evaluate.ts', 'mappings', 'core', 'connectors/descriptor.ts', 'connectors/registry.ts'],
  storage: [
    'bench/storage.ts',
    'bench/run.ts',
    'evidence/fs-store.ts',
    'evidence/s3-store.ts',
    'evidence/object',
    'evidence/store.ts',
    'evidence/durable-fs.ts',
    'core',
  ],
  siem: ['bench/siem-ingest.ts', 'connectors/siem', 'connectors/types.ts', 'core'],
  sweep: sweepPath,
  // The second sweep of bench/sweep.ts: the same path.
  incremental: sweepPath,
  history: ['bench/history.ts', 'workflows', 'activities', 'worker', 'cli/commands/sweep.ts', 'connectors/folder'],
  workers: [
    'bench/workers.ts',
    'workflows',
    'activities',
    'worker',
    'evidence',
    'connectors/folder',
    'cli/commands/sweep.ts',
  ],
  auditree: [
    'bench/auditree-github.ts',
    'bench/auditree-client.py',
    'connectors/github',
    'connectors/types.ts',
    'activities/collect.ts',
    'evidence/fs-store.ts',
    'test/fakes/github-server.ts',
  ],
  // bench/cycle.ts: three years of sweeps written through the store's write and seal path.
  cycle: ['bench/cycle.ts', 'bench/cycle-org.ts', 'evidence', 'mappings', 'core', 'cli/commands/status.ts'],
  throughput: ['bench/cycle.ts', 'bench/cycle-org.ts', 'bench/throughput.ts', 'evidence', 'mappings', 'core'],
  // bench/status-1m.ts: a cold `evidence-hub status` process (everything the CLI loads on the way) and the
  // console's /controls page over a store built through the commit path.
  'status-1m': [
    'bench/status-1m.ts',
    'bench/status-store.ts',
    'bench/status-figures.ts',
    'bin',
    'cli',
    'console',
    'evidence',
    'mappings',
    'core',
    'worker',
    'config',
    'connectors',
    'alerts',
    'activities',
    'workflows',
    'tsconfig.build.json',
  ],
};

export function sourcesOf(benchmark: string): readonly string[] {
  const paths = benchmarkSources[benchmark];
  if (!paths) throw new Error(`bench/sources.ts declares no source paths for benchmark "${benchmark}": add them`);
  return paths;
}
