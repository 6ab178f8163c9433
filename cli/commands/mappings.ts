import type { Command } from 'commander';
import { loadConfig } from '../../config/config';
import { mappingVocabulary } from '../../connectors';
import { loadCatalog } from '../../mappings/catalog';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { configOption, type CommandContext } from '../command-kit';

/** `evidence-hub mappings check`: validates mapping files and says which controls they leave uncovered. */
export function registerMappings(program: Command, { io }: CommandContext): void {
  const mappings = program.command('mappings').description('work with mapping files');
  mappings
    .command('check')
    .description('validate mapping files (default: those the config names) without running anything')
    .argument('[files...]', 'mapping files to check, in override order')
    .addOption(configOption())
    .action(async (files: string[], o) => {
      const vocabulary = mappingVocabulary();
      const paths =
        files.length > 0
          ? files
          : expandMappingPaths(
              ...(await loadConfig(o.config).then(
                (c) => [c.mappings, c.baseDir, vocabulary, new Set(c.sources.map((s) => s.type))] as const,
              )),
            );
      const set = await loadMappings(paths, vocabulary, loadCatalog());
      // Informational rules never decide a status: a control only they name is not covered.
      const covered = new Set(set.rules.filter((r) => !r.informational).flatMap((r) => r.controls));
      const count = (controls: readonly { id: string }[]) => controls.filter((c) => covered.has(c.id)).length;
      io.out(
        `OK: ${set.rules.length} rules in ${paths.length} file(s) cover ${count(set.catalog.controls)} of ${set.catalog.controls.length} controls`,
      );
      const uncovered = set.catalog.controls.filter((c) => !covered.has(c.id)).map((c) => c.id);
      if (uncovered.length > 0) io.out(`not covered (they will show as missing): ${uncovered.join(', ')}`);
      // The management-system clauses (status --catalog clauses), named only once some rule targets one.
      const clauses = count(set.clauses.controls);
      if (clauses > 0) io.out(`clauses: ${clauses} of ${set.clauses.controls.length} covered`);
    });
}
