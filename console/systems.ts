import type { ControlResult } from '../mappings/evaluate';
import {
  noInventoryText,
  systemMatrix,
  systemView,
  unknownSystemProblem,
  type SystemView,
} from '../mappings/system-matrix';

/**
 * The console's AI-system filter, read as `status --system NAME` reads it (mappings/system-matrix.ts): the
 * systems the per-system rules judged (for the select) and the chosen system's view, or why there is none.
 * `results` are Annex A and the clauses together: per-system rules judge both.
 */
export type SystemFilter = { known: string[]; view?: SystemView | undefined } | { problem: string };

export function systemFilter(
  inventory: boolean,
  results: readonly ControlResult[],
  name: string | undefined,
): SystemFilter {
  if (!inventory) return name === undefined ? { known: [] } : { problem: noInventoryText };
  const m = systemMatrix(results);
  if (name === undefined) return { known: m.systems };
  const problem = unknownSystemProblem(m, name);
  return problem !== undefined ? { problem } : { known: m.systems, view: systemView(m, name) };
}

/** The results a system's per-system rules judge (all of them without a chosen system). */
export function judgedBy<R extends ControlResult>(view: SystemView | undefined, results: readonly R[]): R[] {
  if (!view) return [...results];
  const ids = new Set(view.controls.map((c) => c.control));
  return results.filter((r) => ids.has(r.control.id));
}
