import type { AlertState } from '../../alerts/types';
import { digestKeyPrefix } from '../../alerts/readiness-digest';
import { esc } from '../../evidence/export/html';
import type { Principal } from '../auth';
import { layout } from '../pages';

/** The staleness monitor's state: each control's alert episode, and the last readiness digest posted. */
export function alertsPage(who: Principal, state: AlertState | undefined, problem: string | undefined): string {
  const controls = Object.entries(state?.controls ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const rows = controls
    .map(
      ([id, c]) =>
        `<tr data-control="${esc(id)}"><td><a href="/controls/${encodeURIComponent(id)}">${esc(id)}</a></td><td>${esc(c.status)}</td><td>${esc(c.since)}</td><td>${esc(c.alertedAt ?? '')}</td><td>${esc(c.remindedAt ?? '')}</td><td>${c.thread ? esc(c.thread.channel) : ''}</td></tr>`,
    )
    .join('\n');
  const digests = Object.entries(state?.posted ?? {})
    .filter(([k]) => k.startsWith(digestKeyPrefix))
    .sort(([, a], [, b]) => (a.at < b.at ? 1 : -1));
  const last = digests[0];
  return layout(
    'Alerts',
    who,
    `<h1>Alerts</h1>
${problem ? `<p class="error" role="alert">${esc(problem)}</p>` : ''}
<h2>Last readiness digest</h2>
<p id="last-digest">${last ? `${esc(last[0])}, posted ${esc(last[1].at)} to ${esc(last[1].channel)}` : 'No readiness digest has been posted.'}</p>
<h2>Slack problems</h2>
<p>Delivery failures are not kept in the alert state: a failed post is retried on the next run and reported in the worker log and the operations route.</p>
<h2>Alert state per control</h2>
${
  controls.length
    ? `<table id="alerts"><thead><tr><th scope="col">Control</th><th scope="col">Status</th><th scope="col">Since</th><th scope="col">Alerted</th><th scope="col">Reminded</th><th scope="col">Channel</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : '<p>The staleness monitor has recorded no alert yet.</p>'
}`,
  );
}
