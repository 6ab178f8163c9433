import { badge, esc, page } from './html';
import type { PackModel } from './model';

/**
 * The Statement of Applicability as documents inside the pack: every control of the catalog (whatever
 * `--controls` selected), applicable or not with the SoA file's justification, its implementation status
 * from the evaluation at the pack's end, and the evidence rules that decide it. Listed in SHA256SUMS and
 * covered by the signed export.json like every other file of the pack.
 */
/** Beside the summary page (report/index.html), which they link back to. */
export const soaCsvFile = 'report/soa.csv';
export const soaHtmlFile = 'report/soa.html';

type SoaRow = PackModel['soa'][number];

const rulesText = (s: SoaRow) => s.rules.map((r) => `${r.id} (${r.evidence}; ${r.freshness})`).join('; ');

/**
 * One CSV field (RFC 4180). A field a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a
 * leading apostrophe: justifications and reasons are text people typed or evidence named.
 */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function soaCsv(model: PackModel): string {
  const header = ['control', 'title', 'applicable', 'justification', 'status', 'reason', 'rules'];
  const rows = model.soa.map((s) =>
    [s.control, s.title, s.applicable ? 'yes' : 'no', s.justification ?? '', s.status, s.reason, rulesText(s)].map(
      csvField,
    ),
  );
  return [header, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n';
}

export function soaHtml(model: PackModel): string {
  const applicable = model.soa.filter((s) => s.applicable).length;
  const rows = model.soa
    .map(
      (s) => `<tr data-soa="${esc(s.control)}" data-status="${s.status}">
<td>${esc(s.control)}</td><td>${esc(s.title)}</td><td>${s.applicable ? 'applicable' : '<b>not applicable</b>'}</td>
<td>${s.justification !== undefined ? esc(s.justification) : '&ndash;'}</td><td>${badge(s.status)}<div class="reason small">${esc(s.reason)}</div></td>
<td>${s.rules.length > 0 ? s.rules.map((r) => `<code>${esc(r.id)}</code> <span class="small">${esc(r.evidence)}; ${esc(r.freshness)}</span>`).join('<br>') : '&ndash;'}</td></tr>`,
    )
    .join('\n');
  return page(
    `Statement of Applicability: ${model.framework.title}`,
    `<nav><a href="index.html">&larr; summary</a></nav>
<h1>Statement of Applicability</h1>
<p>${esc(model.framework.title)} (catalog ${esc(model.framework.catalogVersion)}): ${applicable} of ${model.soa.length} controls applicable. Implementation status as evaluated at <span class="d">${esc(model.evaluatedAt)}</span>; mapping digest <code>${esc(model.mappingDigest)}</code>. The same rows are in <a href="soa.csv">soa.csv</a>.</p>
<table id="soa"><thead><tr><th>Control</th><th>Title</th><th>Applicability</th><th>Justification (exclusions)</th><th>Implementation status</th><th>Evidence rules</th></tr></thead><tbody>
${rows}
</tbody></table>`,
  );
}
