// Benchmark: evaluate 38 controls over N indexed artifacts (default 1,000,000).
// Usage: npx tsx bench/evaluate.ts [count]  → prints one JSON line.
import { ArtifactBuckets } from '../mappings/buckets';
import { evaluate, type IndexedArtifact, type SourceRun } from '../mappings/evaluate';
import { expandMappingPaths, loadMappings } from '../mappings/load';
import { mappingVocabulary } from '../connectors';

const DAY = 86_400_000;

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1_000_000);
  const mappings = await loadMappings(expandMappingPaths(['default'], '/', mappingVocabulary()), mappingVocabulary());
  const now = Date.parse('2026-11-23T00:00:00Z');
  const mix = process.argv[4] ?? 'mixed';
  // Paths spread over the folders the default rules look at, plus noise no rule matches.
  const folders = [
    'policies',
    'registers',
    'monitoring',
    'validation',
    'model-cards',
    'impact-assessments',
    'adr',
    'suppliers',
    'misc',
    'archive',
  ];
  // A realistic mix after a year of collection: mostly pull requests and SIEM summaries, some tickets,
  // model versions and documents. `documents` puts every artifact in the folder bucket (worst case).
  const shares: [string, string, number][] =
    mix === 'documents'
      ? [['folder', 'document', 1]]
      : [
          ['github', 'pull-request', 0.4],
          ['siem', 'event-counts', 0.15],
          ['jira', 'incident', 0.05],
          ['jira', 'change-request', 0.05],
          ['mlflow', 'model-version', 0.1],
          ['github', 'workflow-run', 0.1],
          ['folder', 'document', 0.1],
          ['jira', 'impact-assessment', 0.03],
          ['jira', 'concern', 0.02],
        ];
  const cumulative: number[] = [];
  shares.reduce((acc, [, , w]) => (cumulative.push(acc + w), acc + w), 0);
  const artifacts: IndexedArtifact[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const r = ((i * 2654435761) % 1000003) / 1000003;
    const [sourceType, kind] =
      shares[
        Math.max(
          0,
          cumulative.findIndex((c) => r < c),
        )
      ] ?? shares[0]!;
    const folder = folders[i % folders.length]!;
    const observedAt = now - ((i * 7919) % (900 * DAY));
    // Through JSON, as the index loads its entries (evidence/index.ts): flat strings, the same object shapes.
    artifacts[i] = JSON.parse(
      JSON.stringify({
        id: `${sourceType}:${kind}/${i}`,
        source: sourceType === 'folder' && i % 3 === 0 ? 'drive' : sourceType,
        sourceType: i % 50 === 0 ? 'manual' : sourceType,
        kind: i % 50 === 0 ? 'record' : kind,
        attributes: {
          path: `${folder}/doc-${i}.md`,
          frontMatter: { type: i % 7 === 0 ? 'ai-policy' : 'note' },
          topic: i % 100 === 0 ? 'training' : 'other',
          statusCategory: i % 4 === 0 ? 'indeterminate' : 'done',
          key: `K-${i % 5000}`,
        },
        observedAt,
        collectedAt: observedAt + DAY,
        sha256: i.toString(16).padStart(64, '0'),
      }),
    ) as IndexedArtifact;
  }
  const runs: SourceRun[] = [
    { source: 'docs', sourceType: 'folder', at: now - DAY, status: 'ok' },
    { source: 'drive', sourceType: 'folder', at: now - DAY, status: 'failed', error: 'CredentialsError: expired' },
  ];
  // The index hands artifacts over newest first (evidence/index.ts); measure that path, and the
  // unsorted one separately, since the evaluator accepts any order.
  const sorted = process.argv[3] !== 'unsorted';
  if (sorted) artifacts.sort((a, b) => b.observedAt - a.observedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  else {
    // A fixed shuffle (Fisher-Yates over a linear congruential sequence), so runs are comparable.
    let seed = 20261123;
    for (let i = artifacts.length - 1; i > 0; i--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const j = seed % (i + 1);
      [artifacts[i], artifacts[j]] = [artifacts[j]!, artifacts[i]!];
    }
  }
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  // What `evaluate({ artifacts })` does with a plain list, in two timed steps: group, then evaluate.
  const t0 = process.hrtime.bigint();
  const buckets = ArtifactBuckets.of(artifacts);
  const t1 = process.hrtime.bigint();
  const results = evaluate({ artifacts: buckets, sourceRuns: runs, mappings, notApplicable: [], now: new Date(now) });
  const t2 = process.hrtime.bigint();
  // Another date over the same buckets: what each further point of an audit pack's timeline costs.
  evaluate({ artifacts: buckets, sourceRuns: runs, mappings, notApplicable: [], now: new Date(now - 30 * DAY) });
  const t3 = process.hrtime.bigint();
  const seconds = Number(t2 - t0) / 1e9;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  console.log(
    JSON.stringify({
      artifacts: count,
      mix,
      inputOrder: sorted ? 'newest-first' : 'unsorted',
      controls: results.length,
      rules: mappings.rules.length,
      seconds,
      groupSeconds: Number(t1 - t0) / 1e9,
      evaluateSeconds: Number(t2 - t1) / 1e9,
      againSeconds: Number(t3 - t2) / 1e9,
      statuses,
      peakRssMb,
      indexRssMb: rssBefore / 1048576,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
