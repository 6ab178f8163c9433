import type { FieldGroup, FieldNames } from './config';
import { normalizeSeverity, type Severity } from './severity';
import { inEventRange, parseTimestamp } from './timestamps';

/** What is kept of one event: only what the summaries need, never its content. */
export interface SiemEvent {
  time: number;
  system: string;
  severity: Severity;
  name: string | undefined;
  signatureId: string | undefined;
  classUid: number | undefined;
}

export const malformedReasons = [
  'invalid-json',
  'not-an-object',
  'missing-result',
  'missing-class-uid',
  'missing-timestamp',
  'bad-timestamp',
  'timestamp-out-of-range',
  'missing-system',
  'record-too-long',
  'invalid-cef',
  'csv-columns',
  'csv-unterminated',
  'truncated-json',
  'invalid-json-structure',
  'no-hits-array',
] as const;
export type MalformedReason = (typeof malformedReasons)[number];

/** Receives the outcome of every record: an event, a malformed record, or a row that is not an event. */
export interface RecordSink {
  event(e: SiemEvent, line: number): void;
  /**
   * `detail` is built from our own text and configured field names only, never from the record.
   * `lines` counts the physical lines a bad multi-line record spans; `raw` gives a hint for the quarantine.
   */
  malformed(line: number, reason: MalformedReason, detail: string, lines?: number, raw?: string): void;
  /** Headers, Splunk preview/lastrow rows, bulk action lines: not events, not malformed. */
  skipped(): void;
}

export interface FieldPath {
  raw: string;
  /** Set when the name has dots: tried as nested keys after the flat key. */
  parts: string[] | undefined;
}

export function fieldPath(raw: string): FieldPath {
  return { raw, parts: raw.includes('.') ? raw.split('.') : undefined };
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The value at a field: a flat key first (`host.name` as one key), then the nested path; arrays give their first element. */
export function getField(obj: unknown, f: FieldPath): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const o = obj as Record<string, unknown>;
  let v: unknown = hasOwn.call(o, f.raw) ? o[f.raw] : undefined;
  if (v === undefined && f.parts) {
    let cur: unknown = o;
    for (const k of f.parts) {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !hasOwn.call(cur, k)) {
        cur = undefined;
        break;
      }
      cur = (cur as Record<string, unknown>)[k];
    }
    v = cur;
  }
  return Array.isArray(v) ? v[0] : v;
}

export interface ResolvedFields {
  time: FieldPath[];
  system: FieldPath[];
  severity: FieldPath[];
  name: FieldPath[];
  signatureId: FieldPath[];
}

/**
 * Defaults per field group; a configured entry replaces the default list for that property. The lists
 * cover the common shippers so their exports read without configuration: Winlogbeat/Filebeat (ECS
 * `@timestamp`), Windows event JSON (`TimeCreated`, or its `SystemTime` from the event XML), Sysmon
 * (`UtcTime`), Zeek (`ts`, epoch seconds with a fraction), Suricata EVE (`timestamp`), AWS CloudTrail
 * (`eventTime`, read from its `Records` array).
 */
export const defaultFields: Record<FieldGroup, Required<Record<keyof FieldNames, string[]>>> = {
  splunk: {
    time: ['_time'],
    system: ['host', 'source'],
    severity: ['severity', 'urgency', 'log_level', 'level'],
    name: ['signature', 'rule_name', 'search_name', 'action', 'eventtype'],
    signatureId: ['signature_id', 'rule_id'],
  },
  elastic: {
    time: ['@timestamp', 'timestamp'],
    system: ['service.name', 'host.name', 'host.hostname', 'host', 'agent.name', 'agent.hostname'],
    severity: ['event.severity', 'log.level'],
    name: ['rule.name', 'event.action'],
    signatureId: ['rule.id', 'event.code'],
  },
  cef: {
    time: ['rt', 'deviceReceiptTime', 'end', 'start', 'syslog.timestamp'],
    system: ['deviceProduct'],
    severity: ['severity'],
    name: ['name'],
    signatureId: ['signatureId'],
  },
  ocsf: {
    time: ['time', 'time_dt'],
    system: ['metadata.product.name'],
    severity: ['severity_id'],
    name: ['finding_info.title', 'type_name', 'activity_name', 'class_name'],
    signatureId: ['metadata.event_code', 'finding_info.uid'],
  },
  json: {
    time: [
      'timestamp',
      '@timestamp',
      'time',
      'TimeCreated',
      'TimeCreated.SystemTime',
      'Event.System.TimeCreated.SystemTime',
      'UtcTime',
      'ts',
      'eventTime',
    ],
    system: [
      'system',
      'service',
      'service.name',
      'host',
      'host.name',
      'Computer',
      'MachineName',
      'Event.System.Computer',
      'Hostname',
      'eventSource',
      '_system_name',
    ],
    severity: ['severity', 'level', 'log.level', 'LevelDisplayName'],
    name: ['event', 'name', 'action', 'alert.signature', 'eventName', 'event_type', 'TaskDisplayName'],
    signatureId: ['rule_id', 'signature_id', 'code', 'alert.signature_id', 'EventID', 'Id', 'Event.System.EventID'],
  },
};

export function resolveFields(group: FieldGroup, configured: FieldNames | undefined): ResolvedFields {
  const pick = (k: keyof FieldNames): FieldPath[] => {
    const v = configured?.[k];
    const names = v === undefined ? defaultFields[group][k] : typeof v === 'string' ? [v] : v;
    return names.map(fieldPath);
  };
  return {
    time: pick('time'),
    system: pick('system'),
    severity: pick('severity'),
    name: pick('name'),
    signatureId: pick('signatureId'),
  };
}

export type Lookup = (f: FieldPath) => unknown;

const maxTextLength = 200;

/** Builds an event from field lookups, or reports why the record is malformed. Shared by every format. */
export class EventBuilder {
  private readonly timeNames: string;
  private readonly systemNames: string;

  constructor(
    private readonly fields: ResolvedFields,
    private readonly defaultSystem: string | undefined,
    private readonly ocsfScale: boolean,
  ) {
    this.timeNames = fields.time.map((f) => f.raw).join(', ');
    this.systemNames = fields.system.map((f) => f.raw).join(', ');
  }

  build(lookup: Lookup, line: number, sink: RecordSink, raw: string | undefined, classUid?: number): void {
    let timeValue: unknown;
    let timeField: FieldPath | undefined;
    for (const f of this.fields.time) {
      const v = lookup(f);
      if (present(v)) {
        timeValue = v;
        timeField = f;
        break;
      }
    }
    if (timeField === undefined)
      return sink.malformed(line, 'missing-timestamp', `no timestamp in ${this.timeNames}`, 1, raw);
    const time = parseTimestamp(timeValue);
    if (Number.isNaN(time))
      return sink.malformed(line, 'bad-timestamp', `unreadable timestamp in ${timeField.raw}`, 1, raw);
    if (!inEventRange(time))
      return sink.malformed(
        line,
        'timestamp-out-of-range',
        `timestamp in ${timeField.raw} is before 2000 or after 2099`,
        1,
        raw,
      );

    let system = text(firstPresent(lookup, this.fields.system));
    if (system === undefined) {
      if (this.defaultSystem === undefined)
        return sink.malformed(line, 'missing-system', `no system name in ${this.systemNames}`, 1, raw);
      system = this.defaultSystem;
    }
    const severity = normalizeSeverity(firstPresent(lookup, this.fields.severity), this.ocsfScale);
    sink.event(
      {
        time,
        system,
        severity,
        name: text(firstPresent(lookup, this.fields.name)),
        signatureId: text(firstPresent(lookup, this.fields.signatureId)),
        classUid,
      },
      line,
    );
  }
}

/** A usable value: a non-blank string, a number or a boolean (an object such as ECS `host` is skipped). */
function present(v: unknown): boolean {
  return (typeof v === 'string' && v.trim() !== '') || typeof v === 'number' || typeof v === 'boolean';
}

function firstPresent(lookup: Lookup, fields: FieldPath[]): unknown {
  for (const f of fields) {
    const v = lookup(f);
    if (present(v)) return v;
  }
  return undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const s = v.trim();
    if (s.length === 0) return undefined;
    return s.length > maxTextLength ? s.slice(0, maxTextLength) : s;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}
