import { esc } from '../evidence/export/html';
import type { Principal } from './auth';
import type { Overview } from './data';
import { reevaluationNotice } from './pages/reevaluation-notice';

/**
 * The console's HTML, rendered on the server: no script at all, so every page reads the same with JavaScript
 * off, and the Content-Security-Policy can forbid scripts outright. Every value from the store or the config
 * goes through `esc` (the audit pack report's escaping, evidence/export/html.ts).
 */

export const consoleCss = `body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}
header{background:#12355b;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header a{color:#fff}header .who{margin-left:auto}main{max-width:1200px;margin:0 auto;padding:16px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;background:#555;font-size:13px}
.s-fresh{background:#2e7d32}.s-stale{background:#c62828}.s-missing{background:#5f5f5f}.s-due-soon{background:#8a5a00}
.s-collection-failed{background:#b71c1c}.s-exception{background:#6a1b9a}.s-not-applicable{background:#455a64}
.counts{display:flex;flex-wrap:wrap;gap:8px;padding:0;list-style:none}.counts li{border:1px solid #ccc;border-radius:6px;padding:6px 12px}
.counts b{display:block;font-size:22px}.error{background:#fdecea;border:1px solid #c62828;padding:8px 12px;border-radius:6px}.notice{background:#fff8e1;border:1px solid #8a5a00;padding:8px 12px;border-radius:6px}
label{display:block;margin:8px 0 4px}input,select,button{font:inherit;padding:4px 8px}a{color:#0b4fb3}
fieldset{border:1px solid #ccc;border-radius:6px;margin:8px 0}fieldset label{display:inline-block;margin:2px 12px 2px 4px}
.ok{background:#e8f5e9;border:1px solid #2e7d32;padding:8px 12px;border-radius:6px}
`;

export function layout(title: string, who: Principal | undefined, body: string): string {
  const nav = who
    ? `<nav aria-label="Main"><a href="/">Overview</a> · <a href="/controls">Controls</a> · <a href="/sweeps">Sweeps</a> · <a href="/uploads">Uploads</a> · <a href="/exports">Export</a> · <a href="/alerts">Alerts</a></nav>
<span class="who">${esc(who.name)} (${esc(who.role)})${
        who.via === 'session'
          ? ` <form method="post" action="/signout" class="inline"><input type="hidden" name="csrf" value="${esc(who.csrf ?? '')}"><button type="submit">Sign out</button></form>`
          : ''
      }</span>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · evidence-hub</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
<header><strong>evidence-hub</strong>${nav}</header>
<main>
${body}
</main>
</body>
</html>
`;
}

/**
 * The sign-in page: a link to the organisation's OpenID provider when one is configured, and the token form
 * when static tokens are (an OpenID-only console shows no form nobody could use).
 */
export function signInPage(preToken: string, problem?: string, sso = false, tokens = true): string {
  const form = `<form method="post" action="/signin">
<input type="hidden" name="csrf" value="${esc(preToken)}">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`;
  return layout(
    'Sign in',
    undefined,
    `<h1>Sign in</h1>
${problem ? `<p class="error" role="alert">${esc(problem)}</p>` : ''}
${sso ? '<p><a id="sso" href="/login">Sign in with your organisation’s account</a></p>' : ''}
${tokens ? `${sso ? '<h2>Or with an access token</h2>\n' : ''}${form}` : ''}`,
  );
}

export function overviewPage(
  o: Overview,
  who: Principal,
  sweep: { allowed: boolean; started?: string },
  extra = '',
): string {
  const counts = Object.entries(o.counts)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([s, n]) => `<li><b>${n}</b><a href="/controls?status=${encodeURIComponent(s)}">${esc(s)}</a></li>`)
    .join('');
  const failed = o.failedSources.length
    ? `<table><caption>Sources whose last run failed</caption><thead><tr><th scope="col">Source</th><th scope="col">When</th><th scope="col">Error</th></tr></thead><tbody>${o.failedSources
        .map(
          (f) =>
            `<tr data-source="${esc(f.source)}"><td>${esc(f.source)}</td><td>${esc(new Date(f.at).toISOString())}</td><td>${esc(f.error ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>No source failed in its last run.</p>';
  const last = o.lastSweep
    ? `<p id="last-sweep">Bundle #${o.lastSweep.sequence} (${esc(o.lastSweep.bundleId)}), finished ${esc(o.lastSweep.finishedAt)}, ${o.lastSweep.artifactCount} artifact(s).</p>`
    : '<p id="last-sweep">Never: no sweep has sealed a bundle yet.</p>';
  const sweepForm = sweep.allowed
    ? `<form method="post" action="/sweeps"><input type="hidden" name="csrf" value="${esc(who.csrf ?? '')}">
<label for="controls">Controls (glob, optional)</label><input id="controls" name="controls" placeholder="A.6.*">
<button type="submit" id="start-sweep">Start a sweep</button></form>`
    : '<p>Starting a sweep needs the operator role.</p>';
  return layout(
    'Overview',
    who,
    `<h1>Readiness overview</h1>
${reevaluationNotice(o.asOf, o.reevaluation)}<p>As of ${esc(o.asOf)}.</p>
<h2>Controls by status</h2><ul class="counts" id="counts">${counts}</ul>
${extra}
<h2>Failed sources</h2>${failed}
<h2>Last sweep</h2>${last}
${sweep.started ? `<p role="status">Started sweep ${esc(sweep.started)}.</p>` : ''}
${sweepForm}`,
  );
}

export function errorPage(status: number, message: string, who: Principal | undefined): string {
  return layout(String(status), who, `<h1>${status}</h1><p>${esc(message)}</p>`);
}
