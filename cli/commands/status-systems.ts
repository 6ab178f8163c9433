import { closestIds } from '../../mappings/catalog';
import type { ControlResult } from '../../mappings/evaluate';
import type { MappingSet } from '../../mappings/load';
import { systemMatrix } from '../../mappings/system-matrix';
import { UsageError, type Io } from '../command-kit';
import { renderSystem, renderSystemMatrix } from '../system-matrix-table';

/**
 * `status --by-system` (systems × per-system controls) and `status --system NAME` (one system's
 * per-system controls with its verdicts). Both need `aiSystems:` in the config.
 */
export function printSystems(
  mappings: Pick<MappingSet, 'aiSystems'>,
  results: readonly ControlResult[],
  asOf: string,
  options: { system?: string; json?: boolean },
  io: Io,
): void {
  if (!mappings.aiSystems)
    throw new UsageError(
      'no AI system inventory: add aiSystems: to the config (a register file, the model registry, or both; docs/mappings.md)',
    );
  const m = systemMatrix(results);
  if (options.system === undefined) {
    if (options.json) io.out(JSON.stringify({ asOf, ...m }, null, 2));
    else
      io.out(
        `${renderSystemMatrix(m)}\n\nas of ${asOf}: ${m.systems.length} AI system(s), ${m.rows.length} per-system rule(s)`,
      );
    return;
  }
  const name = options.system;
  if (!m.systems.includes(name)) {
    const near = closestIds(name, m.systems);
    throw new UsageError(
      `no AI system "${name}" in the inventory${near[0] !== undefined ? `; did you mean ${near[0]}?` : ''} (known: ${m.systems.join(', ') || 'none'})`,
    );
  }
  if (options.json)
    io.out(
      JSON.stringify(
        {
          asOf,
          system: name,
          controls: m.rows.map((r) => ({ control: r.control, title: r.title, rule: r.rule, verdict: r.systems[name] })),
          unknown: m.unknown.filter((u) => u.didYouMean === name),
        },
        null,
        2,
      ),
    );
  else io.out(`${renderSystem(m, name)}\n\nas of ${asOf}`);
}
