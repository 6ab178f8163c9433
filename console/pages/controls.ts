import { badge, esc } from '../../evidence/export/html';
import type { ControlResult } from '../../mappings/evaluate';
import type { SystemView } from '../../mappings/system-matrix';
import type { Principal } from '../auth';
import { layout } from '../pages';
import { judgedBy } from '../systems';

/** The filters the controls page reads from its query string (a GET form: works with JavaScript off). */
export interface ControlsFilter {
  status?: string | undefined;
  group?: string | undefined;
  source?: string | undefined;
  /** An AI system of the inventory: only the controls its per-system rules judge, with its verdicts. */
  system?: string | undefined;
}

export function controlsFilterOf(url: URL): ControlsFilter {
  return {
    status: url.searchParams.get('status') || undefined,
    group: url.searchParams.get('group') || undefined,
    source: url.searchParams.get('source') || undefined,
    system: url.searchParams.get('system') || undefined,
  };
}

export function applyControlsFilter(
  results: readonly ControlResult[],
  f: ControlsFilter,
  feeding?: (control: string) => readonly string[],
): ControlResult[] {
  return results.filter(
    (r) =>
      (!f.status || r.status === f.status) &&
      (!f.group || r.control.group === f.group) &&
      (!f.source || !feeding || feeding(r.control.id).includes(f.source)),
  );
}

const select = (id: string, label: string, any: string, values: [string, string][], chosen: string | undefined) =>
  `<label for="${id}">${label}</label><select id="${id}" name="${id}">${[['', any] as [string, string], ...values]
    .map(([v, text]) => `<option value="${esc(v)}"${v === (chosen ?? '') ? ' selected' : ''}>${esc(text)}</option>`)
    .join('')}</select>`;

const rowsOf = (results: readonly ControlResult[], attr: string, link: boolean) =>
  results
    .map(
      (r) =>
        `<tr data-${attr}="${esc(r.control.id)}"><td>${link ? `<a href="/controls/${encodeURIComponent(r.control.id)}">${esc(r.control.id)}</a>` : esc(r.control.id)}</td><td>${esc(r.control.title)}</td><td>${badge(r.status)}</td><td>${esc(r.reason)}</td></tr>`,
    )
    .join('\n');

const head =
  '<thead><tr><th scope="col">Id</th><th scope="col">Title</th><th scope="col">Status</th><th scope="col">Reason</th></tr></thead>';

/**
 * The Annex A controls, filtered by status, group and feeding source, and the management-system clauses as a second table
 * (filtered by status; their groups are clause numbers, not Annex A groups).
 */
export function controlsPage(
  asOf: string,
  all: readonly ControlResult[],
  clauses: readonly ControlResult[] | undefined,
  f: ControlsFilter,
  who: Principal,
  feeding?: (control: string) => readonly string[],
  systems?: { known: readonly string[]; view?: SystemView | undefined },
  /** Says when the results are an earlier evaluation (pages/reevaluation-notice.ts). */
  notice = '',
): string {
  const statuses = [...new Set([...all, ...(clauses ?? [])].map((r) => r.status))].sort();
  const groups = [...new Map(all.map((r) => [r.control.group, r.control.groupTitle])).entries()];
  const sources = feeding ? [...new Set(all.flatMap((r) => feeding(r.control.id)))].sort() : [];
  const shown = applyControlsFilter(judgedBy(systems?.view, all), f, feeding);
  const shownClauses = clauses
    ? applyControlsFilter(judgedBy(systems?.view, clauses), { status: f.status })
    : undefined;
  return layout(
    'Controls',
    who,
    `<h1>Controls</h1>
${notice}<form method="get" action="/controls">${select(
      'status',
      'Status',
      'any status',
      statuses.map((s) => [s, s]),
      f.status,
    )} ${select(
      'group',
      'Group',
      'any group',
      groups.map(([g, t]) => [g, `${g} ${t}`]),
      f.group,
    )}${
      sources.length
        ? ` ${select(
            'source',
            'Source',
            'any source',
            sources.map((x) => [x, x]),
            f.source,
          )}`
        : ''
    }${
      systems
        ? ` ${select(
            'system',
            'AI system',
            'any AI system',
            systems.known.map((x) => [x, x]),
            f.system,
          )}`
        : ''
    } <button type="submit">Filter</button></form>
${systems?.view ? systemTable(systems.view) : ''}
<p>${shown.length} control(s) as of ${esc(asOf)}.</p>
<table id="controls">${head}
<tbody>
${rowsOf(shown, 'control', true)}
</tbody></table>
${
  shownClauses
    ? `<h2>Management-system clauses</h2>
<p>${shownClauses.length} clause(s), evaluated like the controls (<code>evidence-hub status --catalog clauses</code>).</p>
<table id="clauses">${head}
<tbody>
${rowsOf(shownClauses, 'clause', false)}
</tbody></table>`
    : ''
}`,
  );
}

/** One AI system's verdict under each per-system rule (`status --system NAME`), above the filtered controls. */
function systemTable(view: SystemView): string {
  const rows = view.controls
    .map((c) => {
      const v = c.verdict;
      const detail = !v
        ? ''
        : 'record' in v
          ? `${esc(v.record.id)} (${esc(v.record.observedAt.slice(0, 10))})`
          : v.status === 'in-grace'
            ? `grace ends ${esc(v.graceEndsAt.slice(0, 10))}`
            : v.status === 'retired'
              ? `retired ${esc(v.retiredOn.slice(0, 10))}`
              : '';
      return `<tr data-system-control="${esc(c.control)}"><td>${esc(c.control)}</td><td>${esc(c.rule)}</td><td>${v ? esc(v.status) : '-'}</td><td>${detail}</td></tr>`;
    })
    .join('\n');
  return `<h2>AI system ${esc(view.system)}</h2>
<table id="system"><thead><tr><th scope="col">Control</th><th scope="col">Rule</th><th scope="col">Verdict</th><th scope="col">Deciding record</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}
