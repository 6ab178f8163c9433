import { esc } from '../../evidence/export/html';
import type { Principal } from '../auth';
import { layout } from '../pages';

/** The export form: a window by dates, or an audit of the calendar (its observation window). */
export function exportsPage(
  who: Principal,
  o: { allowed: boolean; audits: readonly { id: string; date: string; type: string }[] },
): string {
  const audits = o.audits.length
    ? `<label for="export-audit">Audit of the calendar (instead of the dates)</label><select id="export-audit" name="audit"><option value="">none: use the dates</option>${o.audits
        .map((a) => `<option value="${esc(a.id)}">${esc(a.id)} (${esc(a.type)}, ${esc(a.date)})</option>`)
        .join('')}</select>`
    : '<p>No audit calendar is configured (audits: in the config); choose a window by dates.</p>';
  const form = o.allowed
    ? `<form method="post" action="/exports" id="export-form">
<input type="hidden" name="csrf" value="${esc(who.csrf ?? '')}">
<label for="export-from">From (yyyy-mm-dd)</label><input id="export-from" name="from" type="date">
<label for="export-to">To (yyyy-mm-dd)</label><input id="export-to" name="to" type="date">
${audits}
<label for="export-controls">Controls (glob, optional)</label><input id="export-controls" name="controls" placeholder="A.6.*">
<p><button type="submit" id="export-submit">Download the audit pack</button></p>
</form>
<p>The pack is the same as <code>evidence-hub export</code> writes; check it with <code>evidence-hub verify</code> and the key fingerprint given to the auditor out of band.</p>`
    : '<p>Exporting an audit pack needs the operator role.</p>';
  return layout('Export', who, `<h1>Export an audit pack</h1>\n${form}`);
}
