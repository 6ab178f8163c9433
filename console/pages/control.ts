import { badge, esc, timelineSvg } from '../../evidence/export/html';
import type { Principal } from '../auth';
import type { ControlHistory } from '../control-history';
import { layout } from '../pages';
import { reevaluationNotice } from './reevaluation-notice';

/**
 * One control: the evaluation, its status over the window (the audit pack report's SVG bar, no script, with
 * the same points as a table for screen readers and print), and its evidence with every bundle holding it.
 */
export function controlPage(h: ControlHistory, who: Principal): string {
  const r = h.result;
  const bar = timelineSvg({ window: h.window, evaluatedAt: h.asOf }, h.timeline, 720, 24, true);
  const points = h.timeline
    .map(
      (p) =>
        `<tr data-at="${esc(p.at)}" data-status="${esc(p.status)}"><td>${esc(p.at)}</td><td>${badge(p.status)}</td><td>${esc(p.reason)}</td></tr>`,
    )
    .join('\n');
  const rows = h.evidence
    .map(
      (e) =>
        `<tr data-artifact="${esc(e.id)}"><td>${esc(e.id)}</td><td>${esc(e.observedAt)}</td><td class="bundles">${e.bundles
          .map((b) => `<span data-bundle="${b}">#${b}</span>`)
          .join(', ')}</td><td><a class="blob" href="/blobs/${e.sha256}">download</a></td></tr>`,
    )
    .join('\n');
  return layout(
    r.control.id,
    who,
    `<h1>${esc(r.control.id)} ${esc(r.control.title)}</h1>
${reevaluationNotice(h.asOf, h.reevaluation)}<p>${badge(r.status)} as of ${esc(h.asOf)}</p>
<dl>
<dt>Reason</dt><dd id="reason">${esc(r.reason)}</dd>
<dt>Deciding rule</dt><dd id="deciding-rule">${r.decidingRule ? esc(r.decidingRule) : 'none'}</dd>
${r.dueAt ? `<dt>Stale on</dt><dd>${esc(r.dueAt)}</dd>` : ''}
</dl>
<h2>Timeline</h2>
<p>Status from ${esc(h.window.from)} to ${esc(h.window.to)}, evaluated at each month start (as <code>status --as-of</code>).</p>
<figure id="timeline-bar">${bar}</figure>
<table id="timeline"><caption>Status at each evaluation point</caption><thead><tr><th scope="col">Evaluated at</th><th scope="col">Status</th><th scope="col">Reason</th></tr></thead><tbody>
${points}
</tbody></table>
<h2>Evidence</h2>
${
  h.evidence.length
    ? `<table id="evidence"><thead><tr><th scope="col">Record</th><th scope="col">Observed</th><th scope="col">Bundles holding it</th><th scope="col">Blob</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : '<p>No evidence is mapped to this control.</p>'
}`,
  );
}
