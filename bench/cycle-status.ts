// A cold `status` over a store, for bench/cycle.ts: what `evidence-hub status` does (cli/commands/status.ts
// controlStatus over the default mappings), in a new process. Prints one JSON line.
// Usage: tsx bench/cycle-status.ts <store dir> <as-of ISO time>
import { controlStatus } from '../cli/commands/status';
import { mappingVocabulary } from '../connectors';
import { FilesystemStore } from '../evidence/fs-store';
import { expandMappingPaths, loadMappings } from '../mappings/load';

async function main(): Promise<void> {
  const [storeDir, asOf] = process.argv.slice(2);
  const vocabulary = mappingVocabulary();
  const mappings = await loadMappings(expandMappingPaths(['default'], '/', vocabulary), vocabulary);
  const t0 = performance.now();
  const store = await FilesystemStore.openExisting(storeDir!);
  const { results } = await controlStatus({ store, mappings, notApplicable: [] }, { asOf: asOf! });
  const t1 = performance.now();
  if (results.length === 0) throw new Error('status evaluated no control');
  console.log(
    JSON.stringify({
      seconds: t1 / 1000,
      workSeconds: (t1 - t0) / 1000,
      controls: results.length,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
