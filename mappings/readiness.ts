import { ArtifactBuckets } from './buckets';
import type { CatalogName } from './catalog';
import type { MappingSet } from './load';
import { isDraft } from './documents';
import { sinceLastAudit, type SinceLastAudit } from './since-last-audit';
import { evaluate, type ControlResult, type ControlStatus, type EvaluationInput, type RuleResult } from './evaluate';

/**
 * The audit calendar and the readiness forecast: what a control's status will be on an audit day if no new
 * evidence arrives. Pure. The forecast is the evaluation at the audit instant over today's evidence, the same
 * function `status --as-of <audit date>` runs, so the two can never disagree (test/unit/readiness.test.ts).
 */

export const auditTypes = ['stage1', 'stage2', 'surveillance', 'recertification'] as const;
export type AuditType = (typeof auditTypes)[number];

export interface AuditEntry {
  id: string;
  type: AuditType;
  /** The audit day, YYYY-MM-DD (UTC). */
  date: string;
  certificationBody: string;
  scope?: string | undefined;
}

export interface AuditCalendar {
  /** Days before each audit on which the monitor posts a readiness digest. */
  digestDaysBefore: readonly number[];
  /** Start of the first audit's observation window (default: one year before it). */
  certificationDate?: string | undefined;
  calendar: readonly AuditEntry[];
}

const DAY = 86_400_000;

/** The instant an audit day is judged at: the end of that UTC day, as `status --as-of YYYY-MM-DD` reads it. */
export function auditInstant(date: string): Date {
  return new Date(Date.parse(`${date}T23:59:59.999Z`));
}

/** Audits in date order (ties by id). */
export function auditsInOrder(calendar: AuditCalendar): AuditEntry[] {
  return [...calendar.calendar].sort((a, b) => a.date.localeCompare(b.date) || a.id.localeCompare(b.id));
}

/** The first audit whose day has not ended at `today`. */
export function nextAudit(calendar: AuditCalendar, today: Date): AuditEntry | undefined {
  return auditsInOrder(calendar).find((a) => auditInstant(a.date).getTime() >= today.getTime());
}

/**
 * An audit's observation window: from the day after the previous audit (its evidence was seen then), or for
 * the first audit from the certification date (default one year before), to the end of the audit day.
 */
export function auditWindow(calendar: AuditCalendar, audit: AuditEntry): { from: Date; to: Date } {
  const ordered = auditsInOrder(calendar);
  const previous = ordered[ordered.findIndex((a) => a.id === audit.id) - 1];
  const to = auditInstant(audit.date);
  if (previous) return { from: new Date(auditInstant(previous.date).getTime() + 1), to };
  if (calendar.certificationDate) return { from: new Date(Date.parse(`${calendar.certificationDate}T00:00:00Z`)), to };
  return { from: new Date(Date.parse(`${audit.date}T00:00:00Z`) - 365 * DAY), to };
}

/** Statuses that need nothing before an audit: evidence current, nothing to exercise, or excluded in the SoA. */
export function readyStatus(status: ControlStatus): boolean {
  // due-soon is still current (inside max age, only inside the warning window); overdue is not.
  return status === 'current' || status === 'due-soon' || status === 'not-exercised' || status === 'not-applicable';
}

export interface RefreshNeeded {
  /** The rule that decides the control on the audit day. */
  rule: string;
  /** Status of that rule today (current) and on the audit day. */
  statusNow: RuleResult['status'];
  statusAtAudit: RuleResult['status'];
  /** Last day the evidence counts as current (absent when the rule has no such date). */
  currentUntil?: string;
  /** When it goes stale (the rule's due date). */
  staleOn?: string;
  /** Days between `currentUntil` (or `staleOn`) and the audit instant. */
  daysBeforeAudit?: number;
}

export interface ControlForecast {
  control: ControlResult['control'];
  now: ControlResult;
  /** Exactly the evaluation at the audit instant (what `status --as-of <audit date>` shows). */
  atAudit: ControlResult;
  ready: boolean;
  /** Set when the control is ready today and will not be on the audit day: refresh its evidence. */
  refresh?: RefreshNeeded;
  /** Records known today, observed inside the window, that any of the control's rules select. */
  windowRecords: number;
}

/** One catalog's forecast: its controls (Annex A controls, or management-system clauses) and the lists. */
export interface CatalogForecast {
  controls: ControlForecast[];
  /** Ready now, not on the day: ordered by the date they stop being current. */
  mustRefresh: string[];
  /** Applicable controls with no selected record observed inside the window so far (unmapped ones too). */
  noEvidenceInWindow: string[];
  /** Not ready on the day for any reason (stale, missing, exception, ...), catalog order. */
  notReady: string[];
}

/**
 * Annex A at the top level (as before clauses existed), the management-system clauses (4.1 .. 10.2) under
 * `clauses` in the same shape: surveillance auditors always sample the clauses, so they are forecast too.
 */
export interface ReadinessForecast extends CatalogForecast {
  audit: AuditEntry;
  today: string;
  auditAt: string;
  window: { from: string; to: string };
  daysToAudit: number;
  clauses: CatalogForecast;
  /** Nonconformities, complaints and management-system changes dated inside the window (since-last-audit.ts). */
  sinceLastAudit: SinceLastAudit;
}

export interface ReadinessInput extends Omit<EvaluationInput, 'now'> {
  today: Date;
  audit: AuditEntry;
  window: { from: Date; to: Date };
}

/**
 * Evaluates today and at the audit instant over the same evidence (what is known today), and compares.
 * Evidence is never projected: the forecast assumes nothing new arrives before the audit.
 */
export function forecastReadiness(input: ReadinessInput): ReadinessForecast {
  const auditAt = auditInstant(input.audit.date);
  const buckets = input.artifacts instanceof ArtifactBuckets ? input.artifacts : ArtifactBuckets.of(input.artifacts);
  const base = { ...input, artifacts: buckets };
  // Rule ids are unique across catalogs, control ids too: one count serves Annex A and the clauses.
  const inWindow = windowRecordCounts(input, buckets);
  const forecastOf = (catalog: CatalogName) => catalogForecast(base, catalog, auditAt, inWindow);
  return {
    audit: input.audit,
    today: input.today.toISOString(),
    auditAt: auditAt.toISOString(),
    window: { from: input.window.from.toISOString(), to: input.window.to.toISOString() },
    daysToAudit: Math.ceil((auditAt.getTime() - input.today.getTime()) / DAY),
    ...forecastOf('annex-a'),
    clauses: forecastOf('clauses'),
    sinceLastAudit: sinceLastAudit({ ...input, artifacts: buckets }),
  };
}

/** Every applicable and excluded control of one catalog, evaluated today and at the audit instant. */
function catalogForecast(
  input: ReadinessInput & { artifacts: ArtifactBuckets },
  catalog: CatalogName,
  auditAt: Date,
  inWindow: ReadonlyMap<string, number>,
): CatalogForecast {
  const now = evaluate({ ...input, now: input.today, catalog });
  const atAudit = evaluate({ ...input, now: auditAt, catalog });
  const controls = now.map((n, i): ControlForecast => {
    const a = atAudit[i]!;
    const refresh = readyStatus(n.status) && !readyStatus(a.status) ? refreshOf(n, a, auditAt) : undefined;
    return {
      control: n.control,
      now: n,
      atAudit: a,
      ready: readyStatus(a.status),
      ...(refresh ? { refresh } : {}),
      windowRecords: inWindow.get(n.control.id) ?? 0,
    };
  });
  const refreshDate = (c: ControlForecast) => c.refresh?.currentUntil ?? c.refresh?.staleOn ?? '\uffff';
  return {
    controls,
    mustRefresh: controls
      .filter((c) => c.refresh)
      .sort((x, y) => refreshDate(x).localeCompare(refreshDate(y)) || x.control.id.localeCompare(y.control.id))
      .map((c) => c.control.id),
    noEvidenceInWindow: controls
      .filter((c) => c.now.status !== 'not-applicable' && c.windowRecords === 0)
      .map((c) => c.control.id),
    notReady: controls.filter((c) => !c.ready).map((c) => c.control.id),
  };
}

/**
 * Whether the mapping set judges the management-system clauses: some deciding rule targets a clause id.
 * The monitor's alerts and readiness digests cover the clauses only then, so a pack written before the
 * clause catalog existed is not flooded with every clause as missing; the default pack maps them all.
 */
export function clausesMapped(mappings: Pick<MappingSet, 'rules' | 'clauses'>): boolean {
  const ids = new Set(mappings.clauses.controls.map((c) => c.id));
  return mappings.rules.some((r) => !r.informational && r.controls.some((c) => ids.has(c)));
}

/** Every Annex A control and clause the forecast says will not be ready on the audit day (Annex A first). */
export function notReadyAnywhere(f: ReadinessForecast): string[] {
  return [...f.notReady, ...f.clauses.notReady];
}

function refreshOf(now: ControlResult, atAudit: ControlResult, auditAt: Date): RefreshNeeded | undefined {
  const rule = atAudit.decidingRule;
  const ruleNow = now.rules.find((r) => r.rule === rule);
  const ruleAtAudit = atAudit.rules.find((r) => r.rule === rule);
  if (!rule || !ruleNow || !ruleAtAudit) return undefined;
  const currentUntil =
    ruleNow.cause.kind === 'current' || ruleNow.cause.kind === 'due-soon' ? ruleNow.cause.currentUntil : undefined;
  const staleOn = ruleNow.dueAt;
  const until = currentUntil ?? staleOn;
  return {
    rule,
    statusNow: ruleNow.status,
    statusAtAudit: ruleAtAudit.status,
    ...(currentUntil ? { currentUntil } : {}),
    ...(staleOn ? { staleOn } : {}),
    ...(until ? { daysBeforeAudit: Math.floor((auditAt.getTime() - Date.parse(until)) / DAY) } : {}),
  };
}

/** Per control: records known today, observed in the window up to today, that one of its rules selects. */
function windowRecordCounts(input: ReadinessInput, buckets: ArtifactBuckets): Map<string, number> {
  const from = input.window.from.getTime();
  const to = Math.min(input.window.to.getTime(), input.today.getTime());
  const counts = new Map<string, number>();
  for (const rule of input.mappings.rules) {
    let n = 0;
    for (const a of buckets.candidatesFor(ArtifactBuckets.keyOf(rule.scopes))) {
      if (a.observedAt < from || a.observedAt > to || a.collectedAt > input.today.getTime() || isDraft(a)) continue;
      if (rule.matches(a)) n++;
    }
    for (const c of rule.controls) counts.set(c, (counts.get(c) ?? 0) + n);
  }
  return counts;
}
