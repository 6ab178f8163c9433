import type { JsonValue } from '../../../core/json';
import type { DependabotAlert } from '../api-schemas';
import { iso, type Attributes, type Normalized } from './normalized';

const severities = ['critical', 'high', 'medium', 'low'] as const;

/** Open alerts of one repository. Ages are attributes (recomputed each run), never part of the bytes. */
export function normalizeDependabot(repository: string, alerts: DependabotAlert[], now: Date): Normalized {
  const list = alerts
    .map((a) => ({
      number: a.number,
      severity: a.security_advisory.severity,
      package: a.dependency.package?.name ?? null,
      ecosystem: a.dependency.package?.ecosystem ?? null,
      manifestPath: a.dependency.manifest_path ?? null,
      scope: a.dependency.scope ?? null,
      ghsaId: a.security_advisory.ghsa_id,
      cveId: a.security_advisory.cve_id,
      summary: a.security_advisory.summary,
      firstPatchedVersion: a.security_vulnerability.first_patched_version?.identifier ?? null,
      createdAt: iso(a.created_at),
      url: a.html_url,
    }))
    .sort((a, b) => a.number - b.number);
  const attributes: Attributes = { repository, enabled: true, openCount: list.length };
  const oldest = (xs: typeof list) => xs.map((a) => a.createdAt).sort()[0] ?? null;
  attributes['oldestOpenCreatedAt'] = oldest(list);
  for (const s of severities) {
    const ofSeverity = list.filter((a) => a.severity === s);
    attributes[s] = ofSeverity.length;
    attributes[`oldest${cap(s)}CreatedAt`] = oldest(ofSeverity);
  }
  attributes['observedAtFrom'] = 'response-date';
  return {
    record: { repository, enabled: true, state: 'open', alerts: list },
    attributes: withAlertAges(attributes, now),
  };
}

export function disabledDependabot(repository: string, reason: string, now: Date): Normalized {
  const attributes: Attributes = {
    repository,
    enabled: false,
    reason,
    openCount: 0,
    oldestOpenCreatedAt: null,
    observedAtFrom: 'response-date',
  };
  for (const s of severities) {
    attributes[s] = 0;
    attributes[`oldest${cap(s)}CreatedAt`] = null;
  }
  return { record: { repository, enabled: false, reason }, attributes: withAlertAges(attributes, now) };
}

/** Whole days since the oldest open alert (overall and per severity), as of `now`. */
export function withAlertAges(attributes: Attributes, now: Date): Attributes {
  const out = { ...attributes };
  const age = (v: JsonValue | undefined) =>
    typeof v === 'string' ? Math.max(0, Math.floor((now.getTime() - Date.parse(v)) / 86_400_000)) : null;
  out['oldestOpenAgeDays'] = age(attributes['oldestOpenCreatedAt']);
  for (const s of severities) out[`oldest${cap(s)}AgeDays`] = age(attributes[`oldest${cap(s)}CreatedAt`]);
  return out;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
