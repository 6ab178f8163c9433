import { closestIds } from './catalog';
import type { SystemVerdict, UnknownSystemName } from './causes';
import { dateKindOf } from './date-kind';
import type { IndexedArtifact } from './indexed-artifact';
import type { Judgement } from './per-change';
import type { SystemNamer } from './system-namer';
import type { SystemAt } from './ai-systems';

/**
 * `per: aiSystem` rules: the rule's max age applies to each AI system of the inventory on its own, so an
 * impact assessment 900 days old for one system is not hidden behind a fresh one for another. Without an
 * inventory (`aiSystems:` not configured) the rule is an ordinary max-age rule (evaluate.ts decides).
 */

/** Worst first, as the rule's status is the worst of its systems (in grace counts as due soon). */
const order = ['missing', 'stale', 'unverified', 'overdue', 'due-soon', 'current'] as const;
type Worst = (typeof order)[number];
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The rule's result over every system known at `now`. `matched`: every record the rule matches known at
 * `now`, newest first. `judge` is the rule's max-age judgement applied to one system's records (the
 * same logic as the rule without an inventory). Records of two sources for one system are one list: the
 * newest decides.
 */
export function perSystemResult(
  rule: { id: string; text: string },
  nameOf: SystemNamer,
  matched: readonly IndexedArtifact[],
  systems: readonly SystemAt[],
  judge: (records: IndexedArtifact[]) => Judgement,
  now: number,
): Judgement {
  const known = new Map(systems.map((s) => [s.id, s]));
  const bySystem = new Map<string, IndexedArtifact[]>();
  const unknown = new Map<string, UnknownSystemName>();
  let unnamed = 0;
  for (const a of matched) {
    const name = nameOf(a);
    if (name === undefined) unnamed++;
    else if (known.has(name)) {
      const list = bySystem.get(name);
      if (list) list.push(a);
      else bySystem.set(name, [a]);
    } else if (!unknown.has(name)) {
      // The newest record naming it is reported; one warning per unknown name.
      const near = closestIds(name, known.keys());
      unknown.set(name, { system: name, record: a.id, ...(near[0] !== undefined ? { didYouMean: near[0] } : {}) });
    }
  }
  const verdicts: SystemVerdict[] = [];
  const evidence: string[] = [];
  for (const s of systems) {
    if (s.retiredOn !== undefined && s.retiredOn <= now) {
      verdicts.push({ system: s.id, status: 'retired', retiredOn: iso(s.retiredOn) });
      continue;
    }
    const records = bySystem.get(s.id);
    if (records) {
      const j = judge(records);
      const status =
        j.status === 'current' || j.status === 'due-soon' || j.status === 'overdue'
          ? j.status
          : j.status === 'unverified'
            ? 'unverified'
            : 'stale';
      const deciding = records[Math.min(records.length, Math.max(1, j.evidence.length)) - 1]!;
      verdicts.push({
        system: s.id,
        status,
        record: { id: deciding.id, observedAt: iso(deciding.observedAt), dateKind: dateKindOf(deciding) },
        ageMs: now - deciding.observedAt,
        ...(j.dueAt !== undefined ? { dueAt: j.dueAt } : {}),
      });
      evidence.push(...j.evidence);
    } else if (s.graceEndsAt !== undefined && now < s.graceEndsAt) {
      verdicts.push({ system: s.id, status: 'in-grace', graceEndsAt: iso(s.graceEndsAt) });
    } else verdicts.push({ system: s.id, status: 'missing' });
  }
  const inScope = verdicts.filter((v) => v.status !== 'retired');
  const cause = {
    kind: 'per-system' as const,
    requirement: rule.text,
    systems: verdicts,
    unknown: [...unknown.values()].sort((a, b) => a.system.localeCompare(b.system)),
    unnamed,
  };
  const newestRecord = inScope
    .flatMap((v) => ('record' in v ? [v.record] : []))
    .sort((a, b) => b.observedAt.localeCompare(a.observedAt))[0];
  const asNewest = (r: { id: string; observedAt: string } | undefined) =>
    r ? { newest: { id: r.id, observedAt: r.observedAt } } : {};
  // No system in scope (all retired, none yet): nothing is owed, and nothing shows the control operating.
  if (inScope.length === 0)
    return { rule: rule.id, status: 'not-exercised', cause, ...asNewest(newestRecord), evidence: [] };
  const rank = (v: SystemVerdict): Worst => (v.status === 'in-grace' ? 'due-soon' : (v.status as Worst));
  const status = order.find((o) => inScope.some((v) => rank(v) === o))!;
  // DUE: for a stale rule when the first system went stale, otherwise when the next one will (a system in
  // grace is due at the end of its grace); a missing rule has no date. NEWEST is the record of the system
  // that gives DUE, so the two never come from different systems.
  const dueOf = (v: SystemVerdict) => ('dueAt' in v ? v.dueAt : v.status === 'in-grace' ? v.graceEndsAt : undefined);
  const deciding = inScope
    .filter((v) => (status !== 'stale' || rank(v) === 'stale') && dueOf(v) !== undefined)
    .sort((a, b) => dueOf(a)!.localeCompare(dueOf(b)!) || a.system.localeCompare(b.system))[0];
  const dueAt = status !== 'missing' && deciding ? dueOf(deciding) : undefined;
  const newest = asNewest(
    dueAt !== undefined && deciding && 'record' in deciding
      ? deciding.record
      : dueAt !== undefined
        ? undefined
        : newestRecord,
  );
  return {
    rule: rule.id,
    status,
    cause,
    ...(dueAt !== undefined ? { dueAt } : {}),
    ...newest,
    evidence: [...new Set(evidence)].sort(),
  };
}
