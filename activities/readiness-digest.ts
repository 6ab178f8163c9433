import type { JsonValue } from '../core/json';
import { decidingRecordId } from '../alerts/details';
import { alertPolicyWithConsole, annexAIds } from './alert-policy';
import { decidingRecords } from './alert-records';
import { dueDigests, readinessDigestMessage } from '../alerts/readiness-digest';
import { parseAlertState, recordDeliveries } from '../alerts/state';
import { loadIndex } from '../evidence/index';
import { ArtifactBuckets } from '../mappings/buckets';
import { auditWindow, clausesMapped, forecastReadiness } from '../mappings/readiness';
import type { Logger } from 'pino';
import type { SlackNotifier } from '../alerts/slack-notifier';
import type { AlertStateStore } from '../evidence/alert-state';
import type { EvidenceStore } from '../evidence/store';
import type { MappingSet, NotApplicable } from '../mappings/load';
import type { ActivityConfig } from './activity-config';

/** What the digest needs of the activities' dependencies (ActivityDeps has them). */
export interface DigestDeps {
  config: Pick<ActivityConfig, 'audits' | 'alerts' | 'console'>;
  store: EvidenceStore & AlertStateStore;
  mappings: MappingSet;
  notApplicable: readonly NotApplicable[];
  log: Logger;
  notifier?: SlackNotifier | undefined;
}

export interface ReadinessDigestResult {
  /** Digests posted in this run, as `audit:threshold` (empty when none was due or all will be ready). */
  posted: string[];
  /** Digests due but not posted because every control will be ready on the day. */
  allReady: string[];
}

/**
 * The monitor's readiness digest (alerts/readiness-digest.ts): for each audit that reached a digest
 * threshold at `now` (the workflow's time), forecasts from the store's evidence and posts what will not be
 * ready on the day. The key is saved right after the post, so a retried activity never posts it twice.
 */
export async function runReadinessDigest(deps: DigestDeps, req: { now: string }): Promise<ReadinessDigestResult> {
  const result: ReadinessDigestResult = { posted: [], allReady: [] };
  const calendar = deps.config.audits;
  if (!calendar || !deps.config.alerts || !deps.notifier) return result;
  const now = new Date(req.now);
  let state = parseAlertState(await deps.store.readAlertState());
  const due = dueDigests(calendar, state, now);
  if (due.length === 0) return result;
  const policy = alertPolicyWithConsole(deps.config, annexAIds(deps.mappings));
  const index = await loadIndex(deps.store);
  const artifacts = ArtifactBuckets.of(index.artifacts);
  const withClauses = clausesMapped(deps.mappings);
  for (const d of due) {
    const forecast = forecastReadiness({
      artifacts,
      sourceRuns: index.sourceRuns,
      mappings: deps.mappings,
      notApplicable: deps.notApplicable,
      today: now,
      audit: d.audit,
      window: auditWindow(calendar, d.audit),
    });
    // Owners and links of the controls listed (alerts/details.ts): only read when there is a digest to post.
    const listed = new Set([...forecast.notReady, ...(withClauses ? forecast.clauses.notReady : [])]);
    const ids = [...forecast.controls, ...forecast.clauses.controls]
      .filter((c) => listed.has(c.control.id))
      .map((c) => decidingRecordId(c.now))
      .filter((id): id is string => id !== undefined);
    const records = listed.size > 0 ? await decidingRecords(deps.store, ids, deps.log) : undefined;
    const message = readinessDigestMessage(d, forecast, policy, now, records, withClauses);
    if (!message) {
      result.allReady.push(d.key);
      continue;
    }
    await deps.notifier.deliver([message], state, async (delivery) => {
      state = recordDeliveries(state, [delivery]);
      await deps.store.writeAlertState(state as unknown as JsonValue);
    });
    result.posted.push(d.key);
  }
  deps.log.info({ ...result }, 'readiness digests');
  return result;
}
