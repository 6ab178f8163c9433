import type { JsonValue } from '../../core/json';
import { codeUnitOrder } from '../../core/order';
import { otherSystem, type Aggregate, type SystemStats } from './aggregate';
import type { ProductionEntry, SiemSourceConfig } from './config';
import type { SummaryKind } from './kinds';
import { severityLabels } from './severity';
import { dayMs, iso, isoDay, parseConfigDate } from './timestamps';

export interface Summary {
  kind: SummaryKind;
  observedAt: string;
  attributes: Record<string, JsonValue>;
  /** The artifact's content (stored as canonical JSON): the attributes plus the full tables. */
  body: Record<string, JsonValue>;
}

export interface SummaryContext {
  cfg: SiemSourceConfig;
  /** Export files whose events are in the aggregate. */
  files: number;
  failedFiles: number;
  systemsCapped: boolean;
  /** Compared with the previous sealed run's state; absent on a first run. */
  sincePrevious?: { removed: number; changed: number };
}

interface Interval {
  from: number;
  to: number;
}

/** `within-minute`: between two events of one minute; `from`/`to` are that minute's first and last event. */
type GapKind = 'between-events' | 'within-minute' | 'before-first-event' | 'after-last-event' | 'no-events';

interface Gap {
  ms: number;
  from: number;
  to: number;
  kind: GapKind;
}

const hourMs = 3_600_000;
const maxListedGaps = 1000;

/** Hours, rounded up to 0.01 h (36 s): a reported gap is never shorter than the real one. */
export function gapHours(ms: number): number {
  return Math.ceil((ms / hourMs) * 100 - 1e-9) / 100;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function floor2(n: number): number {
  return Math.floor(n * 100 + 1e-9) / 100;
}

/** The four summaries of an aggregate with at least one event. */
export function buildSummaries(agg: Aggregate, ctx: SummaryContext): Summary[] {
  const observedAt = iso(agg.last);
  return [
    eventCounts(agg, ctx, observedAt),
    continuity(agg, ctx, observedAt),
    retention(agg, ctx, observedAt),
    incidentList(agg, ctx, observedAt),
  ];
}

function sortedNames(agg: Aggregate): string[] {
  return [...agg.systems.keys()].sort();
}

function severityCounts(counts: number[]): Record<string, JsonValue> {
  return Object.fromEntries(severityLabels.map((l, i) => [l, counts[i] ?? 0]));
}

function eventCounts(agg: Aggregate, ctx: SummaryContext, observedAt: string): Summary {
  const windowDays = ctx.cfg.production.recentWindowDays;
  const lastDay = Math.floor(agg.last / dayMs);
  const recentFromDay = lastDay - windowDays + 1;
  const allDays = new Set<number>();
  const systems: Record<string, JsonValue> = {};
  const perDay: Record<string, JsonValue> = {};
  let recentEvents = 0;
  for (const name of sortedNames(agg)) {
    const s = agg.systems.get(name)!;
    const days = [...s.days.keys()].sort((a, b) => a - b);
    const first = days[0]!;
    const last = days[days.length - 1]!;
    const calendarDays = last - first + 1;
    let max = 0;
    let min = calendarDays > days.length ? 0 : Infinity;
    let recent = 0;
    const table: Record<string, JsonValue> = {};
    for (const d of days) {
      const n = s.days.get(d)!.count;
      allDays.add(d);
      table[isoDay(d)] = n;
      max = Math.max(max, n);
      min = Math.min(min, n);
      if (d >= recentFromDay) recent += n;
    }
    recentEvents += recent;
    perDay[name] = table;
    systems[name] = {
      events: s.events,
      daysWithEvents: days.length,
      daysWithoutEvents: calendarDays - days.length,
      firstDay: isoDay(first),
      lastDay: isoDay(last),
      minPerDay: min,
      maxPerDay: max,
      avgPerDay: round2(s.events / calendarDays),
      recentEvents: recent,
      categories: Object.fromEntries([...s.categories].sort()),
    };
  }
  const categories: Record<string, JsonValue> = Object.fromEntries(
    ctx.cfg.categories.map((c) => [c.category, agg.categories.get(c.category) ?? 0]),
  );
  const attributes: Record<string, JsonValue> = {
    totalEvents: agg.events,
    systemCount: agg.systems.size,
    systemNames: sortedNames(agg),
    firstDay: isoDay(Math.floor(agg.first / dayMs)),
    lastDay: isoDay(lastDay),
    daysWithEvents: allDays.size,
    recentWindowDays: windowDays,
    recentEvents,
    bySeverity: severityCounts(agg.severities),
    categories,
    systems,
    systemsCapped: ctx.systemsCapped,
    files: ctx.files,
    failedFiles: ctx.failedFiles,
  };
  return { kind: 'event-counts', observedAt, attributes, body: { ...attributes, timezone: 'UTC', perDay } };
}

function productionPeriods(entries: ProductionEntry[]): Map<string, Interval[]> {
  const out = new Map<string, Interval[]>();
  for (const e of entries) {
    const system = typeof e === 'string' ? e : e.system;
    const iv: Interval =
      typeof e === 'string'
        ? { from: -Infinity, to: Infinity }
        : {
            from: e.from ? parseConfigDate(e.from, false) : -Infinity,
            to: e.to ? parseConfigDate(e.to, true) : Infinity,
          };
    out.set(system, [...(out.get(system) ?? []), iv]);
  }
  return out;
}

interface GapAnalysis {
  max: Gap | undefined;
  recentMax: Gap | undefined;
  over: { from: number; to: number; ms: number; kind: GapKind }[];
  overCount: number;
}

/**
 * Gaps of one system, each clipped to the periods the system was in production. With `edges` (systems
 * named in the config) the silence before its first and after its last event, within the coverage of the
 * whole source, counts too: a production system that stops logging has a gap even with no later event.
 */
function analyseGaps(
  s: SystemStats | undefined,
  allowed: Interval[],
  coverage: Interval,
  recent: Interval,
  edges: boolean,
  thresholdMs: number,
): GapAnalysis {
  const recentAllowed = allowed
    .map((iv) => ({ from: Math.max(iv.from, recent.from), to: Math.min(iv.to, recent.to) }))
    .filter((iv) => iv.to > iv.from);
  const res: GapAnalysis = { max: undefined, recentMax: undefined, over: [], overCount: 0 };
  let maxMs = 0;
  let recentMaxMs = 0;
  // `bound`: a gap somewhere in [a, b] no longer than this (inside a minute, where only its length is known).
  const consider = (a: number, b: number, kind: GapKind, bound = Infinity) => {
    const len = Math.min(b - a, bound);
    if (len <= 0 || (len <= maxMs && len <= recentMaxMs && len <= thresholdMs)) return;
    for (const iv of allowed) {
      const from = Math.max(a, iv.from);
      const to = Math.min(b, iv.to);
      const ms = Math.min(to - from, bound);
      if (ms <= 0) continue;
      if (ms > maxMs) {
        maxMs = ms;
        res.max = { ms, from, to, kind };
      }
      if (ms > thresholdMs) {
        res.overCount++;
        if (res.over.length < maxListedGaps) res.over.push({ from, to, ms, kind });
      }
    }
    for (const iv of recentAllowed) {
      const from = Math.max(a, iv.from);
      const to = Math.min(b, iv.to);
      const ms = Math.min(to - from, bound);
      if (ms > recentMaxMs) {
        recentMaxMs = ms;
        res.recentMax = { ms, from, to, kind };
      }
    }
  };
  if (!s || s.events === 0) {
    if (edges) consider(coverage.from, coverage.to, 'no-events');
    return res;
  }
  if (edges) consider(coverage.from, s.first, 'before-first-event');
  let prev: number | undefined;
  for (const [lo, hi, inner, ordered] of s.minutes()) {
    if (prev !== undefined) consider(prev, lo, 'between-events');
    // Two events alone in their minute: the gap is exactly [lo, hi]. Otherwise only its length is known.
    if (inner > 0) consider(lo, hi, ordered && inner === hi - lo ? 'between-events' : 'within-minute', inner);
    prev = hi;
  }
  if (edges) consider(s.last, coverage.to, 'after-last-event');
  return res;
}

function gapJson(system: string, g: Gap | undefined): JsonValue {
  if (!g) return null;
  return { system, hours: gapHours(g.ms), from: iso(g.from), to: iso(g.to), kind: g.kind };
}

function continuity(agg: Aggregate, ctx: SummaryContext, observedAt: string): Summary {
  const prod = ctx.cfg.production;
  const thresholdMs = prod.gapThresholdHours * hourMs;
  const coverage: Interval = { from: agg.first, to: agg.last };
  const recent: Interval = { from: agg.last - prod.recentWindowDays * dayMs, to: agg.last };
  const periods = productionPeriods(prod.systems);
  const explicit = periods.size > 0;
  const names = [...new Set([...agg.systems.keys(), ...periods.keys()])].sort();
  const everywhere: Interval[] = [{ from: -Infinity, to: Infinity }];

  let worst: { system: string; gap: Gap } | undefined;
  let worstRecent: { system: string; gap: Gap } | undefined;
  let overCount = 0;
  const listed: JsonValue[] = [];
  const systems: Record<string, JsonValue> = {};
  const bodySystems: Record<string, JsonValue> = {};
  const productionSystems: string[] = [];
  const withoutEvents: string[] = [];
  for (const name of names) {
    const s = agg.systems.get(name);
    const inProduction = explicit ? periods.has(name) : name !== otherSystem;
    const a = analyseGaps(
      s,
      inProduction && explicit ? periods.get(name)! : everywhere,
      coverage,
      recent,
      inProduction && explicit,
      thresholdMs,
    );
    if (inProduction) {
      productionSystems.push(name);
      if (!s || s.events === 0) withoutEvents.push(name);
      if (a.max && (!worst || a.max.ms > worst.gap.ms)) worst = { system: name, gap: a.max };
      if (a.recentMax && (!worstRecent || a.recentMax.ms > worstRecent.gap.ms))
        worstRecent = { system: name, gap: a.recentMax };
      overCount += a.overCount;
      for (const g of a.over) {
        if (listed.length < maxListedGaps)
          listed.push({ system: name, hours: gapHours(g.ms), from: iso(g.from), to: iso(g.to), kind: g.kind });
      }
    }
    const summary: Record<string, JsonValue> = {
      inProduction,
      events: s?.events ?? 0,
      firstEvent: s && s.events > 0 ? iso(s.first) : null,
      lastEvent: s && s.events > 0 ? iso(s.last) : null,
      maxGapHours: gapHours(a.max?.ms ?? 0),
      recentMaxGapHours: gapHours(a.recentMax?.ms ?? 0),
    };
    systems[name] = summary;
    bodySystems[name] = { ...summary, maxGap: gapJson(name, a.max), recentMaxGap: gapJson(name, a.recentMax) };
  }
  const maxGapHours = gapHours(worst?.gap.ms ?? 0);
  const recentMaxGapHours = gapHours(worstRecent?.gap.ms ?? 0);
  const attributes: Record<string, JsonValue> = {
    maxGapHours,
    maxGap: worst ? gapJson(worst.system, worst.gap) : null,
    recentMaxGapHours,
    recentMaxGap: worstRecent ? gapJson(worstRecent.system, worstRecent.gap) : null,
    recentWindowDays: prod.recentWindowDays,
    gapThresholdHours: prod.gapThresholdHours,
    gapsOverThreshold: overCount,
    continuous: (worst?.gap.ms ?? 0) <= thresholdMs,
    recentContinuous: (worstRecent?.gap.ms ?? 0) <= thresholdMs,
    productionSystems,
    productionFrom: explicit ? 'config' : 'observed',
    systemsWithoutEvents: withoutEvents,
    coverageFrom: iso(coverage.from),
    coverageTo: iso(coverage.to),
    systems,
  };
  return {
    kind: 'log-continuity',
    observedAt,
    attributes,
    body: { ...attributes, systems: bodySystems, gaps: listed, gapsListed: listed.length, resolution: '1ms' },
  };
}

function retention(agg: Aggregate, ctx: SummaryContext, observedAt: string): Summary {
  const days = new Set<number>();
  const systems: Record<string, JsonValue> = {};
  for (const name of sortedNames(agg)) {
    const s = agg.systems.get(name)!;
    for (const d of s.days.keys()) days.add(d);
    systems[name] = {
      firstEvent: iso(s.first),
      lastEvent: iso(s.last),
      retainedDays: floor2((s.last - s.first) / dayMs),
    };
  }
  const firstDay = Math.floor(agg.first / dayMs);
  const lastDay = Math.floor(agg.last / dayMs);
  const attributes: Record<string, JsonValue> = {
    firstEvent: iso(agg.first),
    lastEvent: iso(agg.last),
    retainedDays: floor2((agg.last - agg.first) / dayMs),
    calendarDays: lastDay - firstDay + 1,
    daysWithEvents: days.size,
    files: ctx.files,
    systems,
  };
  if (ctx.sincePrevious) {
    attributes['filesRemovedSinceLastRun'] = ctx.sincePrevious.removed;
    attributes['filesChangedSinceLastRun'] = ctx.sincePrevious.changed;
  }
  return { kind: 'retention', observedAt, attributes, body: { ...attributes } };
}

function incidentList(agg: Aggregate, ctx: SummaryContext, observedAt: string): Summary {
  const recentFromDay = Math.floor(agg.last / dayMs) - ctx.cfg.production.recentWindowDays + 1;
  let recent = 0;
  for (const [d, n] of agg.incidentDays) if (d >= recentFromDay) recent += n;
  const incidents = [...agg.incidents]
    .sort((a, b) => a.time - b.time || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line)
    .map((i): JsonValue => ({
      time: iso(i.time),
      system: i.system,
      rules: i.rules,
      name: i.name ?? null,
      signatureId: i.signatureId ?? null,
      severity: severityLabels[i.severity],
      classUid: i.classUid ?? null,
      file: i.file,
      line: i.line,
    }));
  const attributes: Record<string, JsonValue> = {
    incidentCount: agg.incidentTotal,
    listed: incidents.length,
    truncated: agg.incidentTotal > incidents.length,
    rules: ctx.cfg.incidents.map((r) => r.id),
    byRule: Object.fromEntries(ctx.cfg.incidents.map((r) => [r.id, agg.incidentsByRule.get(r.id) ?? 0])),
    bySeverity: severityCounts(agg.incidentSeverities),
    systems: Object.fromEntries([...agg.incidentSystems].sort(([a], [b]) => codeUnitOrder(a, b))),
    firstIncident: agg.incidentTotal > 0 ? iso(agg.incidentFirst) : null,
    lastIncident: agg.incidentTotal > 0 ? iso(agg.incidentLast) : null,
    recentWindowDays: ctx.cfg.production.recentWindowDays,
    recentIncidentCount: recent,
    coverageFrom: iso(agg.first),
    coverageTo: iso(agg.last),
  };
  return { kind: 'incident-list', observedAt, attributes, body: { ...attributes, incidents } };
}
