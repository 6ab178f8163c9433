import type { RuleCause, SystemVerdict, UnknownSystemName } from './causes';
import type { ControlResult } from './evaluate';

/**
 * The per-system view of an evaluation (`status --by-system`, `status --system NAME`): for every rule
 * judged per AI system, each system's verdict. Read from the structured causes only.
 */

export interface SystemMatrixRow {
  control: string;
  title: string;
  rule: string;
  /** The rule's status (the worst of its systems, or a collection failure above them). */
  status: ControlResult['status'];
  /** Each system's verdict, by system id. */
  systems: Record<string, SystemVerdict>;
}

export interface SystemMatrix {
  /** Every system any per-system rule judged, sorted. */
  systems: string[];
  rows: SystemMatrixRow[];
  /** Records naming systems the inventory does not know, once per (rule, name). */
  unknown: (UnknownSystemName & { rule: string })[];
}

/** The per-system cause inside a rule cause, looking through a collection failure or partial run. */
export function perSystemCause(cause: RuleCause): Extract<RuleCause, { kind: 'per-system' }> | undefined {
  switch (cause.kind) {
    case 'per-system':
      return cause;
    case 'collection-failed':
    case 'source-problems':
      return perSystemCause(cause.evidence);
    case 'design-only':
      return perSystemCause(cause.operating);
    default:
      return undefined;
  }
}

export function systemMatrix(results: readonly ControlResult[]): SystemMatrix {
  const rows: SystemMatrixRow[] = [];
  const systems = new Set<string>();
  const unknown = new Map<string, UnknownSystemName & { rule: string }>();
  for (const c of results) {
    for (const r of c.rules) {
      const cause = perSystemCause(r.cause);
      if (!cause) continue;
      const cells: Record<string, SystemVerdict> = {};
      for (const v of cause.systems) {
        cells[v.system] = v;
        systems.add(v.system);
      }
      rows.push({ control: c.control.id, title: c.control.title, rule: r.rule, status: r.status, systems: cells });
      for (const u of cause.unknown) unknown.set(`${r.rule}\u0000${u.system}`, { ...u, rule: r.rule });
    }
  }
  return { systems: [...systems].sort(), rows, unknown: [...unknown.values()] };
}
