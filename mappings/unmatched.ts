import { dateKindOf } from './date-kind';
import { isDraft } from './documents';
import type { EvidenceCause, ScopeMismatch } from './causes';
import type { IndexedArtifact } from './indexed-artifact';
import type { Rule } from './load';
import type { Predicate, Selector } from './schema';
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

/**
 * "github branch-protection", "siem (source soc)", "folder document of type compute-inventory": where a
 * selector looks, in words. A selector pinned to a document type looks only at documents of that type, so
 * a rule without one says so instead of naming the newest unrelated document (a drift report).
 */
function scopeText(s: Selector): string {
  const typed = documentType(s);
  return `${s.source}${s.kind !== undefined ? ` ${s.kind}` : ''}${s.sourceId !== undefined ? ` (source ${s.sourceId})` : ''}${typed ? ` of type ${typed.values.join(' or ')}` : ''}`;
}

/** The document type a selector is pinned to (`frontMatter.type` or S3 `metadata.type`), if any. */
function documentType(s: Selector): { path: string; values: string[] } | undefined {
  const tests = s.where ? ('all' in s.where && Array.isArray(s.where.all) ? s.where.all : [s.where]) : [];
  for (const w of tests as Record<string, Predicate>[]) {
    for (const path of typeAttributes) {
      const p = w[path];
      if (typeof p === 'string') return { path, values: [p] };
      if (p !== undefined && typeof p === 'object' && p.in?.every((v) => typeof v === 'string'))
        return { path, values: p.in as string[] };
      if (p !== undefined && typeof p === 'object' && typeof p.eq === 'string') return { path, values: [p.eq] };
    }
  }
  return undefined;
}

const typeAttributes = ['frontMatter.type', 'metadata.type'] as const;

/** A document type test with its attribute path split once, not once per artifact (the scan is per artifact). */
interface TypeTest {
  segments: readonly string[];
  values: readonly string[];
}

function hasType(a: IndexedArtifact, typed: TypeTest): boolean {
  let v: unknown = a.attributes;
  for (const k of typed.segments)
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' && typed.values.includes(v);
}

/** For each selector, the newest candidate known at `now` inside its scope (type, source id, kind), in one pass. */
function newestPerSelector(
  selectors: readonly Selector[],
  candidates: readonly IndexedArtifact[],
  now: number,
): (IndexedArtifact | undefined)[] {
  const found: (IndexedArtifact | undefined)[] = selectors.map(() => undefined);
  const types: (TypeTest | undefined)[] = selectors.map((s) => {
    const t = documentType(s);
    return t ? { segments: t.path.split('.'), values: t.values } : undefined;
  });
  let open = selectors.length;
  for (let i = 0; i < candidates.length && open > 0; i++) {
    const a = candidates[i]!;
    if (a.observedAt > now || a.collectedAt > now) continue;
    for (let j = 0; j < selectors.length; j++) {
      const s = selectors[j]!;
      if (found[j] || a.sourceType !== s.source) continue;
      if ((s.sourceId !== undefined && a.source !== s.sourceId) || (s.kind !== undefined && a.kind !== s.kind))
        continue;
      const typed = types[j];
      if (typed && !hasType(a, typed)) continue;
      found[j] = a;
      open--;
    }
  }
  return found;
}
