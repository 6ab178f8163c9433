import type { Command } from 'commander';
import { loadIndex } from '../../evidence/index';
import {
  auditsInOrder,
  auditWindow,
  forecastReadiness,
  nextAudit,
  notReadyAnywhere,
  type AuditCalendar,
  type AuditEntry,
  type CatalogForecast,
  type ControlForecast,
  type ReadinessForecast,
} from '../../mappings/readiness';
import { loadHub, type Hub } from '../../worker/hub';
import { statusText } from '../../mappings/reasons';
import { readinessJson } from '../../mappings/readiness-json';
import { renderSinceLastAudit } from '../since-last-audit-text';
import { configOption, storeOption, storeOverrides, UsageError, type CommandContext } from '../command-kit';

/**
 * The audit a command means: the one named (`--audit ID`), or the next one whose day has not ended.
 * Mistakes are usage errors that say what the calendar holds.
 */
export function auditFromCalendar(
  calendar: AuditCalendar | undefined,
  id: string | undefined,
  today: Date,
  file: string,
): { audit: AuditEntry; window: { from: Date; to: Date } } {
  if (!calendar) throw new UsageError(`no audit calendar: add "audits: { calendar: [...] }" to ${file}`);
  const audit = id === undefined ? nextAudit(calendar, today) : calendar.calendar.find((a) => a.id === id);
  if (!audit) {
    const known = auditsInOrder(calendar)
      .map((a) => `${a.id} (${a.date})`)
      .join(', ');
    throw new UsageError(
      id === undefined
        ? `no audit after ${today.toISOString().slice(0, 10)} in ${file}; the calendar holds ${known}: add the next one or pass --audit ID`
        : `unknown audit "${id}"; ${file} lists ${known}`,
    );
  }
  return { audit, window: auditWindow(calendar, audit) };
}

/** The forecast for one audit from what the store holds today (nothing outside the store is consulted). */
export async function readinessOf(
  hub: Pick<Hub, 'store' | 'mappings' | 'notApplicable' | 'config'>,
  options: { audit?: string | undefined; today?: Date | undefined } = {},
): Promise<ReadinessForecast> {
  const today = options.today ?? new Date();
  const { audit, window } = auditFromCalendar(hub.config.audits, options.audit, today, hub.config.file);
  const index = await loadIndex(hub.store);
  return forecastReadiness({
    artifacts: index.artifacts,
    sourceRuns: index.sourceRuns,
    mappings: hub.mappings,
    notApplicable: hub.notApplicable,
    today,
    audit,
    window,
  });
}

const day = (iso: string) => iso.slice(0, 10);

function refreshLine(c: ControlForecast): string {
  const r = c.refresh!;
  const when = r.currentUntil ?? r.staleOn;
  const gap = r.daysBeforeAudit !== undefined ? `, ${r.daysBeforeAudit} days before the audit` : '';
  return `  ${c.control.id.padEnd(10)} ${statusText[c.now.status]} now, ${statusText[r.statusAtAudit]} on the day${when ? ` (current until ${day(when)}${gap})` : ''}: refresh ${r.rule}`;
}

/** One catalog's part of the forecast: what to refresh by when, what is not ready, what has no evidence. */
function renderCatalog(f: CatalogForecast, noun: string): string[] {
  const lines: string[] = [];
  const byId = new Map(f.controls.map((c) => [c.control.id, c]));
  const ready = f.controls.filter((c) => c.ready).length;
  lines.push(`${ready} of ${f.controls.length} ${noun} ready on the day, ${f.notReady.length} not`);
  if (f.mustRefresh.length > 0) {
    lines.push('', 'refresh before the audit (ready now, not on the day):');
    for (const id of f.mustRefresh) lines.push(refreshLine(byId.get(id)!));
  }
  const already = f.notReady.filter((id) => !f.mustRefresh.includes(id));
  if (already.length > 0) {
    lines.push('', 'not ready on the day (already a problem today):');
    for (const id of already) {
      const c = byId.get(id)!;
      lines.push(`  ${id.padEnd(10)} ${c.atAudit.status}: ${c.atAudit.reason}`);
    }
  }
  if (f.noEvidenceInWindow.length > 0) {
    lines.push('', `no evidence in the observation window at all (${f.noEvidenceInWindow.length}):`);
    lines.push(`  ${f.noEvidenceInWindow.join(', ')}`);
  }
  if (f.notReady.length === 0) lines.push('', `every one of the ${noun} will be current on the day if nothing changes`);
  return lines;
}

/** The forecast as text for people: window, then Annex A and the management-system clauses, each on its own. */
export function renderReadiness(f: ReadinessForecast): string[] {
  const a = f.audit;
  return [
    `${a.type} audit ${a.id} on ${a.date} by ${a.certificationBody}${a.scope ? ` (${a.scope})` : ''}: in ${f.daysToAudit} days`,
    `observation window ${day(f.window.from)} .. ${day(f.window.to)}; forecast from the evidence known at ${f.today}`,
    '',
    'Annex A controls:',
    ...renderCatalog(f, 'controls'),
    '',
    'management-system clauses (4-10):',
    ...renderCatalog(f.clauses, 'clauses'),
    '',
    ...renderSinceLastAudit(f.sinceLastAudit),
  ];
}

/**
 * `evidence-hub readiness [--audit ID] [--json]`: the forecast for the next audit of the calendar (or the
 * one named), Annex A and the management-system clauses. Each control's status on the audit day is `status --as-of <audit date>` over today's evidence.
 * Exit code 1 when some control or clause will not be ready on the day, so a pipeline can gate on it.
 */
export function registerReadiness(program: Command, { io, setExitCode }: CommandContext): void {
  program
    .command('readiness')
    .description(
      'forecast every control and clause at the next audit of the calendar: what to refresh by when, what is missing',
    )
    .option('--audit <id>', 'the audit (an id from audits.calendar); default the next one')
    .option('--json', 'print JSON')
    .addOption(configOption())
    .addOption(storeOption())
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      const f = await readinessOf(hub, { audit: o.audit });
      if (o.json) io.out(JSON.stringify(readinessJson(f), null, 2));
      else for (const line of renderReadiness(f)) io.out(line);
      if (notReadyAnywhere(f).length > 0) setExitCode(1);
    });
}
