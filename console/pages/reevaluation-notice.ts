import { esc } from '../../evidence/export/html';
import type { Reevaluation } from '../data';

/**
 * The notice above results served from an earlier evaluation while the store's current head is evaluated
 * (console/evaluation-cache.ts): which bundle the results include, and what is being evaluated, so an older
 * result is never read as the current one. Empty when the results are current.
 */
export function reevaluationNotice(asOf: string, r: Reevaluation | undefined): string {
  if (!r) return '';
  const shown =
    r.evaluatedBundle > 0 ? `results of bundle #${r.evaluatedBundle} as of ${esc(asOf)}` : `results as of ${esc(asOf)}`;
  const running =
    r.newestBundle !== r.evaluatedBundle
      ? `bundle #${r.newestBundle} is being evaluated`
      : 'they are being evaluated again for now (the day changed or evidence came due)';
  return `<p class="notice" id="reevaluating" role="status">Showing earlier ${shown}; ${running}. Refresh in a moment for the new results.</p>`;
}
