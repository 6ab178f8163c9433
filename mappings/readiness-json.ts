import type { ControlForecast, ReadinessForecast } from './readiness';
import { statusText } from './reasons';

/** A control result as `--json` prints it: with `statusText`, the words every renderer shows for the status. */
export function withStatusText<R extends { status: keyof typeof statusText }>(r: R): R & { statusText: string } {
  return { ...r, statusText: statusText[r.status] };
}

const withTexts = (c: ControlForecast) => ({ ...c, now: withStatusText(c.now), atAudit: withStatusText(c.atAudit) });

/**
 * The forecast as `readiness --json` prints it and the console's `/api/v1/readiness` answers it: each
 * control's results carry `statusText`, as in `status --json` (the forecast at the audit equals `status --as-of`).
 */
export function readinessJson(f: ReadinessForecast) {
  return {
    ...f,
    controls: f.controls.map(withTexts),
    clauses: { ...f.clauses, controls: f.clauses.controls.map(withTexts) },
  };
}
