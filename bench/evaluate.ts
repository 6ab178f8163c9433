// Benchmark: evaluate 38 controls over N indexed artifacts (default 1,000,000).
// Usage: npx tsx bench/evaluate.ts [count]  → prints one JSON line.
import { evaluate, type IndexedArtifact, type SourceRun } from '../mappings/evaluate';
import { expandMappingPaths, loadMappings } from '../mappings/load';

const DAY = 86_400_000;

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1_000_000);
  const mappings = await loadMappings(expandMappingPaths(['default'], '/'));
  const now = Date.parse('2026-11-23T00:00:00Z');
  // Paths spread over the folders the default rules look at, plus noise no rule matches.
  const folders = ['policies', 'registers', 'monitoring', 'validation', 'model-cards', 'impact-assessments', 'adr', 'suppliers', 'misc', 'archive'];
  const artifacts: IndexedArtifact[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const folder = folders[i % folders.length]!;
    const observedAt = now - ((i * 7919) % (900 * DAY));
    artifacts[i] = {
      id: `docs:${folder}/doc-${i}.md`,
      source: i % 3 === 0 ? 'drive' : 'docs',
      sourceType: i % 50 === 0 ? 'manual' : 'folder',
      kind: i % 50 === 0 ? 'record' : 'document',
      attributes: { path: `${folder}/doc-${i}.md`, frontMatter: { type: i % 7 === 0 ? 'ai-policy' : 'note' }, topic: i % 100 === 0 ? 'training' : 'other' },
      observedAt,
      collectedAt: observedAt + DAY,
      sha256: i.toString(16).padStart(64, '0'),
    };
  }
  const runs: SourceRun[] = [
    { source: 'docs', sourceType: 'folder', at: now - DAY, status: 'ok' },
    { source: 'drive', sourceType: 'folder', at: now - DAY, status: 'failed', error: 'CredentialsError: expired' },
  ];
  // The index hands artifacts over newest first (evidence/index.ts); measure that path, and the
  // unsorted one separately, since the evaluator accepts any order.
  const sorted = process.argv[3] !== 'unsorted';
  if (sorted) artifacts.sort((a, b) => b.observedAt - a.observedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const results = evaluate({ artifacts, sourceRuns: runs, mappings, notApplicable: [], now: new Date(now) });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ artifacts: count, inputOrder: sorted ? 'newest-first' : 'unsorted', controls: results.length, rules: mappings.rules.length, seconds, peakRssMb, indexRssMb: rssBefore / 1048576 }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
