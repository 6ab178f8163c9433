import { closestIds } from './catalog';
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

/** What a per-system view says without an inventory (`status --by-system`, the console's system filter). */
export const noInventoryText =
  'no AI system inventory: add aiSystems: to the config (a register file, the model registry, or both; docs/mappings.md)';

/**
 * Why `name` is no system of the matrix, with the closest known id and every known one; undefined when it
 * is one. `status --system NAME` and the console's `system=` filter refuse with these words.
 */
export function unknownSystemProblem(m: Pick<SystemMatrix, 'systems'>, name: string): string | undefined {
  if (m.systems.includes(name)) return undefined;
  const near = closestIds(name, m.systems);
  return `no AI system "${name}" in the inventory${near[0] !== undefined ? `; did you mean ${near[0]}?` : ''} (known: ${m.systems.join(', ') || 'none'})`;
}

/** One system's rows (`status --system NAME --json`): each per-system rule with that system's verdict. */
export interface SystemView {
  system: string;
  controls: { control: string; title: string; rule: string; verdict?: SystemVerdict | undefined }[];
  /** Records naming an unknown system whose closest known id is this one. */
  unknown: SystemMatrix['unknown'];
}

export function systemView(m: SystemMatrix, name: string): SystemView {
  return {
    system: name,
    controls: m.rows.map((r) => ({
      control: r.control,
      title: r.title,
      rule: r.rule,
      ...(r.systems[name] !== undefined ? { verdict: r.systems[name] } : {}),
    })),
    unknown: m.unknown.filter((u) => u.didYouMean === name),
  };
}
