import { badge, esc } from '../../evidence/export/html';
import { statusText } from '../../mappings/reasons';
import type { OverviewExtras } from '../overview-extras';

const controlLink = (id: string) => `<a href="/controls/${encodeURIComponent(id)}">${esc(id)}</a>`;

function auditSection(a: OverviewExtras['audit']): string {
  if (a.kind === 'none')
    return '<p id="next-audit">No audit calendar: add <code>audits:</code> to the config for a readiness forecast.</p>';
  if (a.kind === 'past') return '<p id="next-audit">No audit in the calendar is still ahead.</p>';
  const f = a.forecast;
  const ready = f.controls.filter((c) => c.ready).length;
  const byId = new Map(f.controls.map((c) => [c.control.id, c]));
  const refresh = f.mustRefresh
    .map((id) => {
      const c = byId.get(id)!;
      const until = c.refresh?.currentUntil ?? c.refresh?.staleOn;
      return `<li data-control="${esc(id)}">${controlLink(id)}: ${esc(statusText[c.atAudit.status])} on the day${until ? `, current until ${esc(until.slice(0, 10))}` : ''}; refresh ${esc(c.refresh?.rule ?? '')}</li>`;
    })
    .join('');
  const notReady = f.notReady.filter((id) => !f.mustRefresh.includes(id));
  return `<div id="next-audit" data-audit="${esc(f.audit.id)}">
<p>${esc(f.audit.type)} audit <b>${esc(f.audit.id)}</b> on ${esc(f.audit.date)} by ${esc(f.audit.certificationBody)}, in ${f.daysToAudit} day(s).</p>
<p id="forecast"><b>${ready}</b> of ${f.controls.length} controls ready on the day if nothing new arrives, ${f.notReady.length} not.</p>
${refresh ? `<p>Ready now, not on the day (refresh first):</p><ul id="must-refresh">${refresh}</ul>` : ''}
${notReady.length ? `<p id="not-ready">Not ready on the day already today: ${notReady.map(controlLink).join(', ')}.</p>` : ''}
</div>`;
}

function soonestSection(soonest: OverviewExtras['soonest']): string {
  if (soonest.length === 0) return '<p id="soonest">No control’s evidence goes stale ahead.</p>';
  const rows = soonest
    .map(
      (r) =>
        `<tr data-control="${esc(r.control.id)}"><td>${controlLink(r.control.id)}</td><td>${badge(r.status)}</td><td>${esc(r.dueAt ?? '')}</td></tr>`,
    )
    .join('');
  return `<table id="soonest"><caption>Controls whose evidence goes stale soonest</caption><thead><tr><th scope="col">Control</th><th scope="col">Status now</th><th scope="col">Stale on</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function integritySection(state: OverviewExtras['integrity']): string {
  const r = state?.last;
  if (!r) return '<p id="integrity">Integrity verification: never (the integrity schedule has not run yet).</p>';
  const range = r.fromSequence > r.toSequence ? 'no new bundle' : `bundles #${r.fromSequence} to #${r.toSequence}`;
  const problems = Object.entries(r.problems)
    .map(([c, n]) => `${c} ×${n}`)
    .join(', ');
  return `<p id="integrity" data-ok="${r.ok}">Last ${esc(r.mode)} verification ${esc(r.at)} (${esc(range)}): ${
    r.ok ? 'ok' : `<b>FAILED</b>: ${esc(problems)}`
  }. Last clean full verification: ${esc(state.lastFullAt ?? 'never')}.</p>`;
}

/** The overview's sections after the counts: next audit, soonest changes, integrity. */
export function overviewExtrasHtml(x: OverviewExtras): string {
  return `<h2>Next audit</h2>${auditSection(x.audit)}
<h2>Changing soonest</h2>${soonestSection(x.soonest)}
<h2>Integrity</h2>${integritySection(x.integrity)}`;
}
