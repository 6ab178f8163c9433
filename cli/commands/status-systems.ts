import type { ControlResult } from '../../mappings/evaluate';
import type { MappingSet } from '../../mappings/load';
import { noInventoryText, systemMatrix, systemView, unknownSystemProblem } from '../../mappings/system-matrix';
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
  if (!mappings.aiSystems) throw new UsageError(noInventoryText);
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
  const problem = unknownSystemProblem(m, name);
  if (problem !== undefined) throw new UsageError(problem);
  if (options.json) io.out(JSON.stringify({ asOf, ...systemView(m, name) }, null, 2));
  else io.out(`${renderSystem(m, name)}\n\nas of ${asOf}`);
}
