import { readIntegrityState, type IntegrityState } from '../evidence/integrity';
import type { ControlResult } from '../mappings/evaluate';
import type { ReadinessForecast } from '../mappings/readiness';
import type { ConsoleSources } from './data';

/**
 * What the overview shows beyond counts: the next audit's readiness forecast (the `readiness` command's own
 * data function, injected by the CLI), the controls whose status changes soonest, and the integrity
 * monitor's last run (the state `monitor` prints).
 */
export interface OverviewExtras {
  /** `none`: no `audits:` calendar in the config; `past`: a calendar with no audit still ahead. */
  audit: { kind: 'none' } | { kind: 'past' } | { kind: 'next'; forecast: ReadinessForecast };
  /** Controls whose deciding evidence goes stale after `asOf`, soonest first (at most `soonestLimit`). */
  soonest: ControlResult[];
  integrity: IntegrityState | undefined;
}

export const soonestLimit = 5;

export async function overviewExtras(
  src: ConsoleSources,
  readiness: ConsoleSources['readiness'],
  asOf: string,
  results: readonly ControlResult[],
): Promise<OverviewExtras> {
  const [forecast, integrity] = await Promise.all([
    readiness ? readiness() : Promise.resolve(undefined),
    // Operational state: unreadable is the same as never run (readIntegrityState says so too).
    readIntegrityState(src.store).catch(() => undefined),
  ]);
  const now = Date.parse(asOf);
  const soonest = results
    .filter((r) => r.dueAt !== undefined && Date.parse(r.dueAt) > now)
    .sort((a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!) || (a.control.id < b.control.id ? -1 : 1))
    .slice(0, soonestLimit);
  return {
    audit: !readiness ? { kind: 'none' } : forecast ? { kind: 'next', forecast } : { kind: 'past' },
    soonest,
    integrity,
  };
}
