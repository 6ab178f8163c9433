import { dateKindOf } from './date-kind';
import { isDraft } from './documents';
import type { EvidenceCause, ScopeMismatch } from './causes';
import type { IndexedArtifact } from './indexed-artifact';
import type { Rule } from './load';
import type { Selector } from './schema';
import { explainMismatch } from './select';

/**
 * Why a max-age rule matched nothing: nothing was collected where its selectors look, or records were
 * collected and fail a test (named with the newest record's actual value). The slow path: it runs only
 * for a rule without a single match, whose scan already read every candidate, so the evaluator's
 * per-artifact work is unchanged.
 */
export function unmatchedCause(rule: Rule, candidates: readonly IndexedArtifact[], now: number): EvidenceCause {
  const description = rule.description ? { description: rule.description } : {};
  const newestInScope = newestPerSelector(rule.selectors, candidates, now);
  const checked: ScopeMismatch[] = [];
  rule.selectors.forEach((sel, i) => {
    const a = newestInScope[i];
    if (!a) return;
    checked.push({
      scope: scopeText(sel),
      record: { id: a.id, observedAt: new Date(a.observedAt).toISOString(), dateKind: dateKindOf(a) },
      mismatches: [
        ...(sel.where ? explainMismatch(sel.where, a.attributes) : []),
        // A draft never counts, whatever else it matches.
        ...(isDraft(a) ? [{ path: 'documentStatus', actual: '"draft"', op: 'ne' as const, expected: 'draft' }] : []),
      ],
    });
  });
  if (checked.length === 0)
    return {
      kind: 'nothing-collected',
      rule: rule.id,
      ...description,
      scopes: [...new Set(rule.selectors.map(scopeText))],
    };
  return { kind: 'no-match', rule: rule.id, ...description, checked };
}

/** "github branch-protection", "siem (source soc)": where a selector looks, in words. */
function scopeText(s: Selector): string {
  return `${s.source}${s.kind !== undefined ? ` ${s.kind}` : ''}${s.sourceId !== undefined ? ` (source ${s.sourceId})` : ''}`;
}

/** For each selector, the newest candidate known at `now` inside its scope (type, source id, kind), in one pass. */
function newestPerSelector(
  selectors: readonly Selector[],
  candidates: readonly IndexedArtifact[],
  now: number,
): (IndexedArtifact | undefined)[] {
  const found: (IndexedArtifact | undefined)[] = selectors.map(() => undefined);
  let open = selectors.length;
  for (let i = 0; i < candidates.length && open > 0; i++) {
    const a = candidates[i]!;
    if (a.observedAt > now || a.collectedAt > now) continue;
    selectors.forEach((s, j) => {
      if (found[j] || a.sourceType !== s.source) return;
      if ((s.sourceId !== undefined && a.source !== s.sourceId) || (s.kind !== undefined && a.kind !== s.kind)) return;
      found[j] = a;
      open--;
    });
  }
  return found;
}
