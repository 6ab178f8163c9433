import { esc } from '../../evidence/export/html';
import type { SweepRow, SweepView } from '../actions';
import type { Principal } from '../auth';
import { layout } from '../pages';

const csrfField = (who: Principal) => `<input type="hidden" name="csrf" value="${esc(who.csrf ?? '')}">`;

function bundleCell(row: SweepRow): string {
  return row.bundle ? `#${row.bundle.sequence} (${esc(row.bundle.bundleId)})` : '—';
}

/** The sweep history, with the form that starts a sweep scoped like `sweep --controls/--sources`. */
export function sweepsPage(
  sweeps: readonly SweepRow[],
  who: Principal,
  o: { allowed: boolean; sources: readonly string[]; problem?: string | undefined },
): string {
  const sourceBoxes = o.sources
    .map(
      (s, i) =>
        `<input type="checkbox" id="source-${i}" name="sources" value="${esc(s)}"><label for="source-${i}">${esc(s)}</label>`,
    )
    .join('');
  const form = o.allowed
    ? `<form method="post" action="/sweeps" id="sweep-form">${csrfField(who)}
<label for="sweep-controls">Controls (glob, optional, as sweep --controls)</label><input id="sweep-controls" name="controls" placeholder="A.6.*">
<fieldset><legend>Sources (optional, as sweep --sources; none ticked: all that feed the controls)</legend>${sourceBoxes}</fieldset>
<button type="submit" id="start-scoped-sweep">Start the sweep</button></form>`
    : '<p>Starting a sweep needs the operator role.</p>';
  const rows = sweeps
    .map(
      (s) =>
        `<tr data-sweep="${esc(s.workflowId)}"><td><a href="/sweeps/${encodeURIComponent(s.workflowId)}">${esc(s.workflowId)}</a></td><td>${esc(s.status)}</td><td>${esc(s.startedAt)}</td><td>${esc(s.closedAt ?? '')}</td><td>${bundleCell(s)}</td></tr>`,
    )
    .join('\n');
  return layout(
    'Sweeps',
    who,
    `<h1>Sweeps</h1>
<h2>Start a sweep</h2>
${form}
<h2>History</h2>
${o.problem ? `<p class="error" role="alert">${esc(o.problem)}</p>` : ''}
${
  sweeps.length
    ? `<table id="sweeps"><thead><tr><th scope="col">Sweep</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Bundle</th></tr></thead><tbody>
${rows}
</tbody></table>`
    : '<p>No sweep has run on this task queue yet.</p>'
}`,
  );
}

/** One sweep: each source's state; while it runs the page reloads itself (Refresh header, no script). */
export function sweepPage(s: SweepView, who: Principal, allowed: boolean): string {
  const sources = Object.entries(s.progress?.sources ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, st]) => {
      const detail =
        st.state === 'done'
          ? `${st.artifactCount} artifact(s)${st.problems?.length ? `; problems: ${esc(st.problems.join('; '))}` : ''}`
          : st.state === 'failed'
            ? esc(st.error)
            : '';
      return `<tr data-source="${esc(id)}"><td>${esc(id)}</td><td class="state">${esc(st.state)}</td><td>${detail}</td></tr>`;
    })
    .join('\n');
  const cancel =
    allowed && s.status === 'running'
      ? `<form method="post" action="/sweeps/${encodeURIComponent(s.workflowId)}/cancel">${csrfField(who)}<button type="submit" id="cancel-sweep">Cancel this sweep</button></form>`
      : '';
  return layout(
    `Sweep ${s.workflowId}`,
    who,
    `<h1>Sweep ${esc(s.workflowId)}</h1>
<p role="status">Status: <strong id="sweep-status">${esc(s.status)}</strong>${s.progress ? `, phase <span id="sweep-phase">${esc(s.progress.phase)}</span>` : ''}. Started ${esc(s.startedAt)}${s.closedAt ? `, finished ${esc(s.closedAt)}` : ''}.</p>
${s.status === 'running' ? '<p>This page reloads every 2 seconds while the sweep runs.</p>' : ''}
<p>Bundle: <span id="sweep-bundle">${bundleCell(s)}</span></p>
${cancel}
<h2>Sources</h2>
${
  sources
    ? `<table id="sweep-sources"><thead><tr><th scope="col">Source</th><th scope="col">State</th><th scope="col">Detail</th></tr></thead><tbody>
${sources}
</tbody></table>`
    : '<p>No progress to show yet (the worker has not answered the progress query).</p>'
}
<p><a href="/sweeps">All sweeps</a></p>`,
  );
}
