import type { Predicate, Selector, Where } from './schema';

/**
 * The topics a rule reads from the `manual` source by name (`topic: training`, `eq`, `in`). The evaluator
 * tells people which topic to upload under, and `evidence-hub upload` refuses topics no rule reads.
 * Topics matched by glob or regex are not listed (they are not names).
 */
export function uploadTopics(selectors: readonly Selector[]): string[] {
  const topics = new Set<string>();
  const fromPredicate = (p: Predicate) => {
    if (typeof p === 'string') topics.add(p);
    else if (typeof p === 'object') {
      if (typeof p.eq === 'string') topics.add(p.eq);
      for (const v of p.in ?? []) if (typeof v === 'string') topics.add(v);
    }
  };
  const walk = (w: Where): void => {
    if ('all' in w && Array.isArray(w.all)) return (w.all as Where[]).forEach(walk);
    if ('any' in w && Array.isArray(w.any)) return (w.any as Where[]).forEach(walk);
    if ('not' in w) return;
    const p = (w as Record<string, Predicate>)['topic'];
    if (p !== undefined) fromPredicate(p);
  };
  for (const s of selectors) if (s.source === 'manual' && s.where) walk(s.where);
  return [...topics].sort();
}
