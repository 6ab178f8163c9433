import type { CollectionFailedCause, ControlCause, EvidenceCause, RuleCause } from '../mappings/causes';

/**
 * What the owner of a control should do next, in one short imperative line ("upload the 2026 concern-register
 * record", "re-run the jira collector: token expired or revoked; renew the credentials"). Written from the
 * structured cause only (mappings/causes.ts), never from the reason sentence, so Slack, the readiness digest
 * and anything else that shows a next step say the same thing. Undefined when nothing is owed (the evidence
 * is current, no change is waiting for a record, the control is out of scope).
 */
export function nextStep(cause: ControlCause, now: Date): string | undefined {
  if (cause.kind !== 'rule')
    return cause.kind === 'unmapped' ? 'map the control to evidence in a mapping file' : undefined;
  return ruleNextStep(cause.rule, cause.cause, now);
}

/** The next step for one rule's cause; `rule` is the rule's id (the causes of some kinds do not repeat it). */
export function ruleNextStep(rule: string, cause: RuleCause, now: Date): string | undefined {
  switch (cause.kind) {
    case 'collection-failed':
      return afterFailure(cause);
    case 'source-problems': {
      const sources = cause.sources.map((s) => s.source).join(', ');
      // The good part of the collection counts; what the evidence itself owes still comes first.
      const own = evidenceNextStep(rule, cause.evidence, now);
      const fix = `fix the problems the ${sources} collector${cause.sources.length === 1 ? '' : 's'} reported and re-run`;
      return own ? `${own}; ${fix}` : fix;
    }
    default:
      return evidenceNextStep(rule, cause, now);
  }
}

const day = (iso: string) => iso.slice(0, 10);

/** "refresh ai-policy-review before 2027-02-01": the step for evidence current today that will not be later. */
export function refreshBefore(rule: string, until: string | undefined): string {
  return until !== undefined ? `refresh ${rule} before ${day(until)}` : `refresh ${rule}`;
}

function evidenceNextStep(rule: string, cause: EvidenceCause, now: Date): string | undefined {
  switch (cause.kind) {
    case 'needs-upload': {
      const year = now.getUTCFullYear();
      const topic = cause.uploadTopics[0];
      // The topic is what `evidence-hub upload --topic` accepts (mappings/upload-topics.ts).
      return topic !== undefined
        ? `upload the ${year} ${topic} record (evidence-hub upload --topic ${topic})`
        : `add the ${year} record for ${rule}`;
    }
    case 'nothing-collected':
      return `add the record for ${rule} where the hub collects it (${cause.scopes.join(', ')}), then sweep`;
    case 'no-match': {
      const paths = [...new Set(cause.checked.flatMap((c) => c.mismatches.map(mismatchPath)))].slice(0, 3);
      return `add a record that meets ${rule}${paths.length > 0 ? ` (the newest fails on ${paths.join(', ')})` : ''}`;
    }
    case 'too-few': {
      const more = cause.required - cause.found;
      return `add ${more} more record${more === 1 ? '' : 's'} for ${rule} (${cause.required} needed)`;
    }
    case 'state-exception':
      return `fix ${cause.subjects.map((s) => s.scope).join(', ')} so it meets ${rule}`;
    case 'current':
    case 'no-changes':
    case 'changes-recorded':
      return undefined;
    case 'due-soon':
      return refreshBefore(rule, cause.currentUntil);
    case 'in-grace':
      return `refresh ${rule} by ${day(cause.graceEndsAt)} (grace ends)`;
    case 'too-old': {
      const dueBy = new Date(Date.parse(cause.deciding.observedAt) + cause.maxAge.ms).toISOString();
      return `refresh ${rule} now: it was due by ${day(dueBy)}`;
    }
    case 'version-mismatch':
      return `record ${rule} for version ${cause.current.version} of ${cause.current.rule}`;
    case 'undated':
      return `add an effective, approval or review date to the front matter of ${cause.record.id}`;
    case 'design-only': {
      const operating = evidenceNextStep(cause.operatingRule, cause.operating, now);
      return operating ?? `record that ${cause.operatingRule} operates`;
    }
    case 'not-configured':
      return `configure a ${cause.sourceTypes.join(' or ')} source for ${rule}`;
    case 'changes-in-grace':
      return `record ${list(cause.inGrace)} before the grace period ends`;
    case 'changes-overdue':
      return `record the overdue change${cause.overdue.length === 1 ? '' : 's'} ${list(cause.overdue)}`;
    case 'per-system': {
      // The systems that owe a record: stale or missing ones first, then those merely due soon or in grace.
      const owing = cause.systems.filter(
        (v) => v.status === 'stale' || v.status === 'missing' || v.status === 'unverified',
      );
      const soon = cause.systems.filter(
        (v) => v.status === 'due-soon' || v.status === 'overdue' || v.status === 'in-grace',
      );
      if (owing.length > 0) return `record ${rule} for ${list(owing.map((v) => v.system))}`;
      if (soon.length > 0) return `refresh ${rule} for ${list(soon.map((v) => v.system))} before it is due`;
      return undefined;
    }
  }
}

function mismatchPath(m: { op: string; path?: string; where?: string }): string {
  return m.path ?? (m.op === 'excluded' ? 'an excluding condition' : 'none of its alternatives');
}

function list(keys: readonly string[]): string {
  return keys.length <= 3 ? keys.join(', ') : `${keys.slice(0, 3).join(', ')} and ${keys.length - 3} more`;
}

/**
 * After a failed collection: by the failing source's error class (core/errors.ts), recorded with the run. The
 * error text itself is never shown here (it is the connector's, and the alert shows it once, redacted).
 */
function afterFailure(cause: CollectionFailedCause): string {
  const source = cause.source;
  const errorType = cause.sources[0]?.errorType ?? cause.errorType;
  if (cause.outcome === 'partial') return `fix the problems the ${source} collector reported and re-run it`;
  switch (errorType) {
    case 'CredentialsError':
      return `re-run the ${source} collector: token expired, revoked or missing a scope; renew the credentials first`;
    case 'RateLimitError':
      return `wait for the ${source} rate limit to reset and re-run the collector`;
    case 'SourceUnavailableError':
      return `re-run the ${source} collector once ${cause.sourceType} is reachable again`;
    case 'SourceConfigError':
      return `fix the ${source} source in the config (it names something missing or not allowed), then re-run`;
    case 'SourceContentError':
      return `fix what the ${source} collector reads (nothing in it was usable), then re-run`;
    default:
      return `check the ${source} collector's error and re-run it (evidence-hub sweep --sources ${source})`;
  }
}
