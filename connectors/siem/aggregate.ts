import type { CategoryRuleConfig, IncidentRuleConfig } from './config';
import type { SiemEvent } from './event';
import { severityRank, type Severity } from './severity';
import { dayMs } from './timestamps';

/** Events of systems beyond `limits.maxSystems` are counted under this name. */
export const otherSystem = '(other)';

const minutesPerDay = 1440;
const none = 0xffff;
/** In `inner`: events of the minute arrived out of order, so its largest inner gap is bounded by its span. */
const unordered = 0xffff;

/**
 * One UTC day of one system: the event count and, per minute, the first and last event (milliseconds into
 * the minute) and the largest gap between consecutive events inside the minute. 8,640 bytes per
 * system-day whatever the number of events. Gaps across minutes are exact to the millisecond (the events
 * at a minute's edges are kept exactly); a gap inside a minute is exact when the minute's events arrive in
 * time order (or reverse order, as newest-first exports), and otherwise bounded by the minute's span: never
 * shorter than the real gap.
 */
export class DayBucket {
  count = 0;
  /** [0, 1440): first ms (0xffff = no event); [1440, 2880): last ms; [2880, 4320): largest inner gap ms. */
  readonly marks = new Uint16Array(3 * minutesPerDay).fill(none, 0, minutesPerDay);

  add(minute: number, ms: number): void {
    const m = this.marks;
    const f = m[minute]!;
    const l = minutesPerDay + minute;
    const g = 2 * minutesPerDay + minute;
    this.count++;
    if (f === none) {
      m[minute] = ms;
      m[l] = ms;
      return;
    }
    const last = m[l]!;
    if (m[g] === unordered) {
      if (ms < f) m[minute] = ms;
      if (ms > last) m[l] = ms;
    } else if (ms >= last) {
      m[g] = Math.max(m[g]!, ms - last);
      m[l] = ms;
    } else if (ms <= f) {
      m[g] = Math.max(m[g]!, f - ms);
      m[minute] = ms;
    } else m[g] = unordered; // between two events already seen: the gap it splits is unknown
  }

  mergeFrom(o: DayBucket): void {
    this.count += o.count;
    const a = this.marks;
    const b = o.marks;
    for (let m = 0; m < minutesPerDay; m++) {
      const bf = b[m]!;
      if (bf === none) continue;
      const l = minutesPerDay + m;
      const g = 2 * minutesPerDay + m;
      const af = a[m]!;
      if (af === none) {
        a[m] = bf;
        a[l] = b[l]!;
        a[g] = b[g]!;
        continue;
      }
      const ordered = a[g] !== unordered && b[g] !== unordered;
      if (ordered && a[l]! <= bf) a[g] = Math.max(a[g]!, b[g]!, bf - a[l]!);
      else if (ordered && b[l]! <= af) a[g] = Math.max(a[g]!, b[g]!, af - b[l]!);
      else a[g] = unordered;
      a[m] = Math.min(af, bf);
      a[l] = Math.max(a[l]!, b[l]!);
    }
  }
}

export class SystemStats {
  events = 0;
  first = Infinity;
  last = -Infinity;
  readonly days = new Map<number, DayBucket>();
  readonly categories = new Map<string, number>();
  private lastIndex = NaN;
  private lastDay: DayBucket | undefined;

  add(t: number): void {
    const d = Math.floor(t / dayMs);
    let day = d === this.lastIndex ? this.lastDay : this.days.get(d);
    if (!day) {
      day = new DayBucket();
      this.days.set(d, day);
    }
    this.lastIndex = d;
    this.lastDay = day;
    const rem = t - d * dayMs;
    const minute = Math.floor(rem / 60_000);
    day.add(minute, rem - minute * 60_000);
    this.events++;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
  }

  mergeFrom(o: SystemStats): void {
    this.events += o.events;
    this.first = Math.min(this.first, o.first);
    this.last = Math.max(this.last, o.last);
    for (const [d, day] of o.days) {
      const mine = this.days.get(d);
      if (mine) mine.mergeFrom(day);
      else this.days.set(d, day);
    }
    for (const [c, n] of o.categories) this.categories.set(c, (this.categories.get(c) ?? 0) + n);
    this.lastIndex = NaN;
    this.lastDay = undefined;
  }

  /**
   * Occupied minutes in time order: the first and last event (epoch ms) and the largest gap between
   * consecutive events inside the minute (exact when `ordered`; else the minute's span, an upper bound).
   */
  *minutes(): Generator<[number, number, number, boolean]> {
    const days = [...this.days.keys()].sort((a, b) => a - b);
    for (const d of days) {
      const marks = this.days.get(d)!.marks;
      const base = d * dayMs;
      for (let m = 0; m < minutesPerDay; m++) {
        const lo = marks[m]!;
        if (lo === none) continue;
        const hi = marks[minutesPerDay + m]!;
        const inner = marks[2 * minutesPerDay + m]!;
        const start = base + m * 60_000;
        yield [start + lo, start + hi, inner === unordered ? hi - lo : inner, inner !== unordered];
      }
    }
  }
}

/** Caps the number of distinct systems across a whole collection (a misconfigured system field would otherwise create one per event). */
export class SystemNames {
  private readonly admitted = new Set<string>();
  capped = false;

  constructor(private readonly max: number) {}

  admit(name: string): string {
    if (this.admitted.has(name)) return name;
    if (this.admitted.size < this.max) {
      this.admitted.add(name);
      return name;
    }
    this.capped = true;
    return otherSystem;
  }
}

export type EventTest = (e: SiemEvent, system: string) => boolean;

export function compileEventMatch(
  rule: Omit<IncidentRuleConfig, 'id'> | Omit<CategoryRuleConfig, 'category'>,
): EventTest {
  const tests: EventTest[] = [];
  if (rule.minSeverity !== undefined) {
    const min = severityRank(rule.minSeverity);
    tests.push((e) => e.severity >= min);
  }
  if (rule.names !== undefined) {
    const names = new Set(rule.names.map((n) => n.toLowerCase()));
    tests.push((e) => e.name !== undefined && names.has(e.name.toLowerCase()));
  }
  if (rule.nameRegex !== undefined) {
    const re = new RegExp(rule.nameRegex, 'iu');
    tests.push((e) => e.name !== undefined && re.test(e.name));
  }
  if (rule.signatureIds !== undefined) {
    const ids = new Set(rule.signatureIds.map(String));
    tests.push((e) => e.signatureId !== undefined && ids.has(e.signatureId));
  }
  if (rule.classUids !== undefined) {
    const uids = new Set(rule.classUids);
    tests.push((e) => e.classUid !== undefined && uids.has(e.classUid));
  }
  if (rule.systems !== undefined) {
    const systems = new Set(rule.systems);
    tests.push((_e, system) => systems.has(system));
  }
  return (e, system) => tests.every((t) => t(e, system));
}

export interface CompiledRules {
  incidents: { id: string; test: EventTest }[];
  categories: { category: string; test: EventTest }[];
}

export function compileRules(incidents: IncidentRuleConfig[], categories: CategoryRuleConfig[]): CompiledRules {
  return {
    incidents: incidents.map(({ id, ...m }) => ({ id, test: compileEventMatch(m) })),
    categories: categories.map(({ category, ...m }) => ({ category, test: compileEventMatch(m) })),
  };
}

export interface Incident {
  time: number;
  system: string;
  rules: string[];
  name: string | undefined;
  signatureId: string | undefined;
  severity: Severity;
  classUid: number | undefined;
  file: string;
  line: number;
}

/**
 * Counters over a set of events: per system per day, severities, categories, and the incidents the rules
 * select (all counted, the first `maxIncidents` kept). Nothing grows with the number of events.
 */
export class Aggregate {
  readonly systems = new Map<string, SystemStats>();
  readonly severities: number[] = [0, 0, 0, 0, 0, 0];
  readonly categories = new Map<string, number>();
  readonly incidents: Incident[] = [];
  readonly incidentsByRule = new Map<string, number>();
  incidentTotal = 0;
  readonly incidentSeverities: number[] = [0, 0, 0, 0, 0, 0];
  readonly incidentSystems = new Map<string, number>();
  /** Incidents per UTC day index. */
  readonly incidentDays = new Map<number, number>();
  incidentFirst = Infinity;
  incidentLast = -Infinity;
  events = 0;
  first = Infinity;
  last = -Infinity;

  constructor(
    private readonly rules: CompiledRules,
    private readonly names: SystemNames,
    private readonly maxIncidents: number,
  ) {}

  add(e: SiemEvent, file: string, line: number): void {
    const system = this.names.admit(e.system);
    let s = this.systems.get(system);
    if (!s) {
      s = new SystemStats();
      this.systems.set(system, s);
    }
    s.add(e.time);
    this.events++;
    if (e.time < this.first) this.first = e.time;
    if (e.time > this.last) this.last = e.time;
    this.severities[e.severity]!++;
    for (const c of this.rules.categories) {
      if (!c.test(e, system)) continue;
      this.categories.set(c.category, (this.categories.get(c.category) ?? 0) + 1);
      s.categories.set(c.category, (s.categories.get(c.category) ?? 0) + 1);
    }
    let matched: string[] | undefined;
    for (const r of this.rules.incidents) {
      if (!r.test(e, system)) continue;
      (matched ??= []).push(r.id);
      this.incidentsByRule.set(r.id, (this.incidentsByRule.get(r.id) ?? 0) + 1);
    }
    if (matched) {
      this.incidentTotal++;
      this.incidentSeverities[e.severity]!++;
      this.incidentSystems.set(system, (this.incidentSystems.get(system) ?? 0) + 1);
      const day = Math.floor(e.time / dayMs);
      this.incidentDays.set(day, (this.incidentDays.get(day) ?? 0) + 1);
      if (e.time < this.incidentFirst) this.incidentFirst = e.time;
      if (e.time > this.incidentLast) this.incidentLast = e.time;
      if (this.incidents.length < this.maxIncidents) {
        this.incidents.push({
          time: e.time,
          system,
          rules: matched,
          name: e.name,
          signatureId: e.signatureId,
          severity: e.severity,
          classUid: e.classUid,
          file,
          line,
        });
      }
    }
  }

  /** Adds another aggregate's counts (a file's, once the file is accepted). */
  mergeFrom(o: Aggregate): void {
    for (const [name, s] of o.systems) {
      const mine = this.systems.get(name);
      if (mine) mine.mergeFrom(s);
      else this.systems.set(name, s);
    }
    o.severities.forEach((n, i) => (this.severities[i]! += n));
    for (const [c, n] of o.categories) this.categories.set(c, (this.categories.get(c) ?? 0) + n);
    for (const [r, n] of o.incidentsByRule) this.incidentsByRule.set(r, (this.incidentsByRule.get(r) ?? 0) + n);
    for (const inc of o.incidents) {
      if (this.incidents.length >= this.maxIncidents) break;
      this.incidents.push(inc);
    }
    this.incidentTotal += o.incidentTotal;
    o.incidentSeverities.forEach((n, i) => (this.incidentSeverities[i]! += n));
    for (const [k, n] of o.incidentSystems) this.incidentSystems.set(k, (this.incidentSystems.get(k) ?? 0) + n);
    for (const [k, n] of o.incidentDays) this.incidentDays.set(k, (this.incidentDays.get(k) ?? 0) + n);
    this.incidentFirst = Math.min(this.incidentFirst, o.incidentFirst);
    this.incidentLast = Math.max(this.incidentLast, o.incidentLast);
    this.events += o.events;
    this.first = Math.min(this.first, o.first);
    this.last = Math.max(this.last, o.last);
  }
}
