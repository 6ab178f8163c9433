import { decidingRuleCause } from '../../mappings/causes';
import { dueHeading, dueLabel, dueText } from '../../mappings/due';
import { statuses, type ControlResult, type ControlStatus } from '../../mappings/evaluate';
import { decidingDateKind } from '../../mappings/date-kind';
import { dateKindText, failureOutcomeText, soaText, statusText } from '../../mappings/reasons';
import type { ControlView, PackModel, TimelinePoint } from './model';

/**
 * The pack's report: static HTML with inline CSS, no script and nothing fetched, so it opens from the
 * extracted folder on an air-gapped laptop and prints as it looks. `report/index.html` is the summary;
 * `report/controls/<id>.html` is one page per control; evidence links point at blob files in the pack.
 */
export const summaryPage = 'report/index.html';
export const controlPage = (id: string) => `report/controls/${id}.html`;

const colors: Record<ControlStatus, string> = {
  current: '#2e7d32',
  'due-soon': '#9e9d24',
  overdue: '#e0a100',
  'not-exercised': '#81c784',
  'not-configured': '#bdbdbd',
  'design-only': '#ef6c00',
  unverified: '#ff8f00',
  stale: '#c62828',
  missing: '#6d6d6d',
  exception: '#8b0000',
  'collection-failed': '#7b1fa2',
  'not-applicable': '#90a4ae',
};
const afterExport = '#e6e6e6';

const css = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d1d1f;margin:0;background:#fff}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;margin:0 0 16px}.meta code{font-size:12px}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid #e4e4e4;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f7;font-weight:600;font-size:13px}
td.num{text-align:right}.d{white-space:nowrap}code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}.hash{word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
${statuses.map((s) => `.s-${s}{background:${colors[s]}}`).join('')}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0}.count{border:1px solid #ddd;border-radius:6px;padding:6px 12px;min-width:90px}
.count b{display:block;font-size:22px}.warn{background:#fff4e5;border:1px solid #f0c36d;border-radius:6px;padding:8px 12px}
.reason{color:#333}.small{font-size:12px;color:#555}a{color:#0b57d0}nav{margin-bottom:12px}
svg{display:block}
#controls{table-layout:fixed}#controls th:nth-child(1){width:8%}#controls th:nth-child(3){width:10%}#controls th:nth-child(4){width:12%}#controls th:nth-child(5){width:14%}#controls th:nth-child(6){width:7%}#controls th:nth-child(7){width:196px}
@media print{body{font-size:11px}main{max-width:none;padding:0}a{color:inherit;text-decoration:none}h2{break-after:avoid}tr{break-inside:avoid}th,td{padding:4px 5px}#controls th:nth-child(1){width:7%}#controls th:nth-child(3){width:10%}#controls th:nth-child(4){width:10%}#controls th:nth-child(5){width:12%}#controls th:nth-child(6){width:6%}#controls th:nth-child(7){width:92px}#controls svg{width:84px}}
`;

export function esc(text: string | number): string {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const day = (iso: string) => iso.slice(0, 10);
const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
/** A time inside running text, kept on one line (a date split over two lines misreads in print). */
const when = (iso: string) => `<span class="d">${esc(time(iso))}</span>`;

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${css}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

export function badge(status: ControlStatus): string {
  return `<span class="badge s-${status}">${esc(statusText[status])}</span>`;
}

/**
 * Status over the window as a bar: each evaluation point colours the stretch up to the next one, and the
 * status at the export time (the last point) gets its own end segment, a fixed sliver ending exactly at the
 * export time, carved out of the stretch before it. Without it the end status would be an instant of zero
 * width: drawn off the bar's right edge, or under the grey block for the part of the window after the export
 * time. Every segment carries its status as a tooltip and `data-status`; the end one is `class="end"`.
 */
export function timelineSvg(
  model: Pick<PackModel, 'window' | 'evaluatedAt'>,
  points: TimelinePoint[],
  width: number,
  height: number,
  labels: boolean,
): string {
  const start = Date.parse(model.window.from);
  const end = Date.parse(model.window.to);
  const span = Math.max(1, end - start);
  const x = (iso: string) => ((Date.parse(iso) - start) / span) * width;
  // The end segment: wide enough to see (and to hover) on the summary's small bars, a sliver of the large one.
  const cap = Math.min(width, Math.max(6, width / 30));
  // The evaluated part of the bar ends at the export time, but never narrower than the end segment.
  const evalEnd = Math.min(width, Math.max(cap, x(model.evaluatedAt)));
  const parts: string[] = [];
  points.forEach((p, i) => {
    const last = i + 1 === points.length;
    const x0 = last ? evalEnd - cap : Math.min(x(p.at), evalEnd - cap);
    const x1 = last ? evalEnd : Math.min(x(points[i + 1]!.at), evalEnd - cap);
    // A stretch squeezed out by the end segment keeps its tooltip at zero width rather than overlapping it.
    const w = Math.max(0, x1 - x0);
    const due = dueText(p);
    const tip = `${day(p.at)}: ${statusText[p.status]}${due ? `, ${due}` : ''} (${p.reason})`;
    parts.push(
      `<rect${last ? ' class="end"' : ''} data-status="${p.status}" x="${x0.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="${height}" fill="${colors[p.status]}"><title>${esc(tip)}</title></rect>`,
    );
  });
  if (evalEnd < width - 0.5)
    parts.push(
      `<rect class="after-export" x="${evalEnd.toFixed(1)}" y="0" width="${(width - evalEnd).toFixed(1)}" height="${height}" fill="${afterExport}"><title>after the export time</title></rect>`,
    );
  let total = height;
  if (labels) {
    total = height + 16;
    points.forEach((p, i) => {
      const px = x(p.at);
      const first = i === 0;
      const last = i === points.length - 1;
      const text = first || last ? day(p.at) : new Date(p.at).toLocaleString('en', { month: 'short', timeZone: 'UTC' });
      const anchor = first ? 'start' : last ? 'end' : 'middle';
      parts.push(`<line x1="${px.toFixed(1)}" y1="${height}" x2="${px.toFixed(1)}" y2="${height + 4}" stroke="#777"/>`);
      parts.push(
        `<text x="${px.toFixed(1)}" y="${height + 14}" font-size="10" text-anchor="${anchor}" fill="#444">${esc(text)}</text>`,
      );
    });
  }
  const summary = points.map((p) => `${day(p.at)} ${statusText[p.status]}`).join(', ');
  // Without labels the bar may be narrowed by CSS (print): it stretches rather than shrinking in both axes.
  const stretch = labels ? '' : ' preserveAspectRatio="none"';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}"${stretch} role="img" aria-label="${esc(`status over the window: ${summary}`)}">${parts.join('')}</svg>`;
}

function counts(model: PackModel): string {
  const n = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<ControlStatus, number>;
  for (const c of model.controls) n[c.result.status]++;
  return `<div class="counts">${statuses.map((s) => `<div class="count" data-status="${s}"><b>${n[s]}</b>${badge(s)}</div>`).join('')}</div>`;
}

function segmentText(model: PackModel): string {
  const s = model.segment;
  if (s.toSequence === undefined)
    return `No bundle was sealed in this window. The next bundle after it would be #${s.fromSequence}.`;
  const range = `Bundles #${s.fromSequence} to #${s.toSequence} (${model.bundles.length}) of the store's hash chain.`;
  if (s.previousDigest === null) return `${range} Bundle #${s.fromSequence} starts the chain.`;
  return `${range} Bundle #${s.fromSequence} links to the manifest before the window, sha256 <code class="hash">${esc(s.previousDigest)}</code>, which is not in this pack; compare it with the last manifest of the previous audit pack or of the live store.`;
}

/** The management-system clauses at the evaluation end (no timeline: surveillance samples them as they stand). */
function clauseSection(model: PackModel): string {
  if (model.clauses.length === 0) return '';
  const rows = model.clauses
    .map(
      (c) => `<tr data-clause="${esc(c.id)}" data-status="${c.result.status}">
<td>${esc(c.id)}</td><td>${esc(c.title)}<div class="small">${esc(c.groupTitle)}</div><div class="reason small">${esc(c.result.reason)}</div></td>
<td>${badge(c.result.status)}</td><td class="d">${c.result.dueAt ? esc(day(c.result.dueAt)) : '&ndash;'}</td><td>${c.result.decidingRule ? `<code>${esc(c.result.decidingRule)}</code>` : '&ndash;'}</td></tr>`,
    )
    .join('\n');
  return `<h2>Management-system clauses</h2>
<p>${model.clauses.length} clause(s) of ISO/IEC 42001 clauses 4 to 10, evaluated as of ${when(model.evaluatedAt)} like the controls (<code>evidence-hub status --catalog clauses</code>).</p>
<table id="clauses"><thead><tr><th>Clause</th><th>Title</th><th>Status</th><th>${dueHeading}</th><th>Rule</th></tr></thead><tbody>
${rows}
</tbody></table>
`;
}

export function renderSummary(model: PackModel): string {
  const rows = model.controls
    .map(
      (c) => `<tr data-control="${esc(c.id)}" data-status="${c.result.status}"${failedSourceAttr(c.result)}>
<td><a href="controls/${esc(c.id)}.html">${esc(c.id)}</a></td><td>${esc(c.title)}<div class="small">${esc(c.groupTitle)}</div><div class="reason small" data-reason>${esc(c.result.reason)}</div></td>
<td>${badge(c.result.status)}</td><td class="d">${c.result.dueAt ? esc(day(c.result.dueAt)) : '&ndash;'}</td><td>${c.result.decidingRule ? `<code>${esc(c.result.decidingRule)}</code>` : '&ndash;'}</td><td class="num">${c.evidence.length}</td>
<td>${timelineSvg(model, c.timeline, 180, 12, false)}</td></tr>`,
    )
    .join('\n');
  const soa = model.soa
    .map(
      (s) =>
        `<tr data-soa="${esc(s.control)}"><td>${esc(s.control)}</td><td>${esc(s.title)}</td><td>${s.applicable ? 'applicable' : '<b>not applicable</b>'}</td><td>${s.justification !== undefined ? esc(s.justification) : '&ndash;'}</td><td class="soa-approval">${s.soa ? esc(soaText(s.soa)) : '&ndash;'}</td></tr>`,
    )
    .join('\n');
  const failures =
    model.failures.length === 0
      ? '<p>No source failed or reported problems in a bundle sealed in this window.</p>'
      : `<table><thead><tr><th>Bundle</th><th>Sealed</th><th>Source</th><th>Outcome</th><th>Error</th></tr></thead><tbody>
${model.failures.map((f) => `<tr data-failure="${esc(f.source)}"><td>#${f.sequence}</td><td class="d">${esc(time(f.finishedAt))}</td><td>${esc(f.source)} <span class="small">(${esc(f.sourceType)})</span></td><td>${esc(f.status)}</td><td>${esc(f.error)}</td></tr>`).join('\n')}
</tbody></table>`;
  const bundles =
    model.bundles.length === 0
      ? '<p>None.</p>'
      : `<table><thead><tr><th>#</th><th>Bundle</th><th>Sealed</th><th>Trigger</th><th>Artifacts</th><th>Sources</th><th>Key</th><th>Manifest sha256</th></tr></thead><tbody>
${model.bundles
  .map(
    (b) =>
      `<tr><td>${b.sequence}</td><td><a href="../${esc(b.manifest)}">${esc(b.bundleId)}</a></td><td class="d">${esc(time(b.finishedAt))}</td><td>${esc(b.trigger)}</td><td class="num">${b.artifactCount}</td><td>${b.sources.map((s) => `${esc(s.source)}: ${esc(s.status)}`).join(', ')}</td><td><code>${esc(b.keyId)}</code></td><td class="hash">${esc(b.digest)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
  const problems =
    model.problems.length > 0
      ? `<div class="warn"><b>Problems noticed while exporting</b><ul>${model.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></div>`
      : '';
  const future =
    model.evaluatedAt < model.window.to
      ? `<p class="warn">The window ends after the export time; statuses are as of ${when(model.evaluatedAt)}, and the rest of the window is shown grey.</p>`
      : '';
  const body = `<h1>${esc(model.framework.title)}: audit pack</h1>
<p class="meta">Observation window <b>${when(model.window.from)}</b> to <b>${when(model.window.to)}</b>${model.controlsGlob ? `, controls <code>${esc(model.controlsGlob)}</code>` : ''}. Generated ${when(model.generatedAt)}. Catalog ${esc(model.framework.id)} ${esc(model.framework.catalogVersion)}, mapping rules sha256 <code>${esc(model.mappingDigest.slice(0, 16))}</code>.</p>
${problems}${future}
<h2>Status at the end of the window</h2>
<p>${model.controls.length} control(s), evaluated as of ${when(model.evaluatedAt)} from everything the evidence store knew by then. The bar shows each control's status at the window start and at the start of every month, each until the next; its last sliver, ending at the export time, is the status at the end.</p>
${counts(model)}
<table id="controls"><thead><tr><th>Control</th><th>Title</th><th>Status</th><th>${dueHeading}</th><th>Rule</th><th>Evidence in pack</th><th>Over the window</th></tr></thead><tbody>
${rows}
</tbody></table>
${clauseSection(model)}<h2>Statement of Applicability</h2>
<p class="small">With implementation status and evidence rules: <a href="soa.html">soa.html</a>, <a href="soa.csv">soa.csv</a>.</p>
<table id="soa"><thead><tr><th>Control</th><th>Title</th><th>Applicability</th><th>Justification</th><th>Decided by</th></tr></thead><tbody>
${soa}
</tbody></table>
<h2>Collection failures in the window</h2>
${failures}
<h2>Evidence bundles in this pack</h2>
<p>${segmentText(model)}</p>
${bundles}
<h2>Checking this pack</h2>
<p>See <a href="../VERIFY.md">VERIFY.md</a>: every blob, signature and chain link can be checked with <code>sha256sum</code> and <code>openssl</code> alone, or with <code>evidence-hub verify</code> on the extracted folder. Machine-readable: <a href="../index.json">index.json</a>, <a href="../oscal/assessment-results.json">OSCAL assessment results</a>.</p>
`;
  return page(`${model.framework.title} audit pack ${day(model.window.from)} to ${day(model.window.to)}`, body);
}

function evidenceRows(c: ControlView): string {
  if (c.evidence.length === 0)
    return '<p>No evidence mapped to this control was collected in a bundle sealed in this window.</p>';
  const decisive = new Set(c.decidedBy.map((d) => `${d.id}\u0000${d.observedAt}\u0000${d.sha256}`));
  return `<table id="evidence"><thead><tr><th>Observed</th><th>Collected</th><th>Current until</th><th>Source</th><th>Item</th><th>sha256</th><th>Size</th><th>Bundles</th><th>Blob</th></tr></thead><tbody>
${c.evidence
  .map((a) => {
    const used = decisive.has(`${a.id}\u0000${a.observedAt}\u0000${a.sha256}`)
      ? ' <span class="small">(decides the status)</span>'
      : '';
    const link =
      a.state === 'present'
        ? `<a class="blob" href="../../${esc(a.blob)}" type="${esc(a.mediaType)}">open</a>`
        : a.state === 'pruned'
          ? 'deleted by retention (signed tombstone)'
          : '<b>missing</b>';
    return `<tr data-artifact="${esc(a.id)}"><td class="d">${esc(time(a.observedAt))}</td><td class="d">${esc(time(a.collectedAt))}</td><td class="d">${a.expires ? esc(day(a.expires)) : '&ndash;'}</td><td>${esc(a.source)} <span class="small">(${esc(a.sourceType)}, ${esc(a.kind)})</span></td><td>${esc(a.externalId)}${used}</td><td class="hash">${esc(a.sha256)}</td><td class="num">${a.size}</td><td>${a.bundles.map((b) => `#${b}`).join(' ')}</td><td>${link}</td></tr>`;
  })
  .join('\n')}
</tbody></table>`;
}

/** The failing source of a collection-failed control, from its cause: the row names it for scripts. */
function failedSourceAttr(r: ControlResult): string {
  const cause = decidingRuleCause(r.cause);
  return cause?.kind === 'collection-failed'
    ? ` data-failed-source="${esc(cause.sources.map((f) => f.source).join(' '))}"`
    : '';
}

/** On a collection-failed control's page: which source, when, and where the summary lists the failures. */
function failedSourceNote(r: ControlResult): string {
  const cause = decidingRuleCause(r.cause);
  if (cause?.kind !== 'collection-failed') return '';
  // Every failing source, not only the first: each may be the one to fix.
  const each = cause.sources.map(
    (f) => `Source <b>${esc(f.source)}</b> (${esc(f.sourceType)}) ${failureOutcomeText(f.outcome)} at ${when(f.at)}`,
  );
  return `\n<p class="small" id="failed-source">${each.join('; ')}; see the collection failures on the <a href="../index.html">summary</a>.</p>`;
}

/**
 * Informational rules (docs/mappings.md): related signals shown beside the status, never deciding it, so
 * an auditor sees e.g. the Dependabot settings on A.4.4 without taking them for evidence that it operates.
 */
function informationalSection(r: ControlResult): string {
  const signals = r.informational ?? [];
  if (signals.length === 0) return '';
  const rows = signals
    .map(
      (x) =>
        `<tr data-rule="${esc(x.rule)}"><td><code>${esc(x.rule)}</code></td><td>${badge(x.status)}</td><td class="reason">${esc(x.reason)}</td></tr>`,
    )
    .join('');
  return `\n<h2>Informational signals (not used for the status)</h2>
<table id="informational"><thead><tr><th>Rule</th><th>Signal</th><th>Reason</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderControlPage(model: PackModel, c: ControlView): string {
  const r = c.result;
  const points = c.timeline
    .map(
      (p) =>
        `<tr><td class="d">${esc(time(p.at))}</td><td>${badge(p.status)}</td><td class="d">${p.dueAt ? esc(dueText(p) ?? day(p.dueAt)) : '&ndash;'}</td><td class="reason">${esc(p.reason)}</td></tr>`,
    )
    .join('\n');
  const decided =
    c.decidedBy.length === 0
      ? ''
      : `<h2>Evidence that decides the status</h2><ul>${c.decidedBy
          .map(
            (d) =>
              `<li><code>${esc(d.id)}</code> ${esc(dateKindText[d.dateKind])} ${when(d.observedAt)}, sha256 <span class="hash">${esc(d.sha256)}</span>, first recorded by bundle #${d.bundle}${d.inPack ? '' : ' <b>(collected before this window: not in this pack)</b>'}</li>`,
          )
          .join('')}</ul>`;
  const rules =
    c.rules.length === 0
      ? '<p>No mapping rule covers this control.</p>'
      : `<table><thead><tr><th>Rule</th><th>Evidence</th><th>Max age or per change</th><th>Description</th></tr></thead><tbody>${c.rules
          .map(
            (x) =>
              `<tr><td><code>${esc(x.id)}</code></td><td>${esc(x.informational ? 'informational' : x.evidence)}</td><td>${esc(x.freshness)}</td><td>${x.description ? esc(x.description) : ''}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const body = `<nav><a href="../index.html">&larr; all controls</a></nav>
<h1>${esc(c.id)} ${esc(c.title)}</h1>
<p class="meta">${esc(c.group)} ${esc(c.groupTitle)}${c.subgroup ? `, ${esc(c.subgroup.id)} ${esc(c.subgroup.title)}` : ''}. Window ${when(model.window.from)} to ${when(model.window.to)}.</p>
<p>Status at ${when(model.evaluatedAt)}: ${badge(r.status)}${r.decidingRule ? ` &middot; decided by rule <code id="deciding-rule">${esc(r.decidingRule)}</code>` : ''}${r.dueAt ? ` &middot; ${dueLabel(r)} <b id="due">${esc(day(r.dueAt))}</b>` : ''}${r.newest ? ` &middot; its newest evidence ${esc(dateKindText[decidingDateKind(r.cause)])} ${esc(day(r.newest.observedAt))}` : ''}</p>
<p class="reason" id="reason">${esc(r.reason)}</p>${failedSourceNote(r)}${informationalSection(r)}
${c.justification !== undefined ? `<p><b>Statement of Applicability:</b> not applicable: ${esc(c.justification)}</p>` : ''}
<h2>Status over the window</h2>
${timelineSvg(model, c.timeline, 720, 24, true)}
<table id="timeline"><thead><tr><th>Evaluated at</th><th>Status</th><th>${dueHeading}</th><th>Reason</th></tr></thead><tbody>
${points}
</tbody></table>
${decided}
<h2>Evidence collected in the window (${c.evidence.length})</h2>
${evidenceRows(c)}
<h2>Mapping rules</h2>
${rules}
`;
  return page(`${c.id} ${c.title}: audit pack`, body);
}
