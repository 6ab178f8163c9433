import { canonicalJson } from '../../core/digest';
import type { JsonValue } from '../../core/json';
import { codeUnitOrder } from '../../core/order';
import { common, optional, tagValue } from './artifacts';
import { isProduction, isProductionDesignation, type Emitted, type RegistryContext } from './context';
import type { Designation, VersionState } from './state';
import type { RegistryModelVersion } from './types';

// A version's timeline: which stage and aliases it holds, since when, and the transitions into and out
// of them, reconstructed from what each run observed (a registry keeps no history of its aliases).

/** Stage and aliases the version holds, each with when it was first observed holding it. */
export function currentDesignations(
  v: RegistryModelVersion,
  prevV: VersionState | undefined,
  listingTimed: boolean,
  now: number,
  approval: string | null = null,
): Record<string, Designation> {
  const out: Record<string, Designation> = {};
  const current = [
    ...(v.stage && v.stage !== 'None' ? [`stage:${v.stage}`] : []),
    ...v.aliases.map((a) => `alias:${a}`),
  ];
  for (const d of current) {
    const known = prevV?.designations[d];
    if (known) {
      out[d] = known;
      continue;
    }
    // MLflow stamps last_updated_timestamp on a stage transition; aliases carry no time at all.
    const isStage = d.startsWith('stage:');
    const since = isStage && listingTimed && v.updatedAt !== undefined ? v.updatedAt : now;
    const from = isStage && prevV && prevV.stage !== v.stage ? prevV.stage : undefined;
    out[d] = { since, observed: prevV !== undefined, ...(from !== undefined ? { from } : {}), approval };
  }
  return out;
}

/** The state of a version the interrupted attempt already collected (its gaps are not known here). */
export function carriedState(
  v: RegistryModelVersion,
  fp: string,
  prevV: VersionState | undefined,
  now: number,
  production: boolean,
  approval: string | null,
): VersionState {
  return {
    fp,
    stage: v.stage,
    aliases: v.aliases,
    ...(v.updatedAt !== undefined ? { updatedAt: v.updatedAt } : {}),
    designations: currentDesignations(v, prevV, !prevV || prevV.updatedAt !== v.updatedAt, now, approval),
    ...(production ? { recheck: true } : {}),
  };
}

/**
 * `stage-transition` artifacts: one per designation entered since the last run (held now, not held then),
 * one per designation left. A record of what was true at entry is written once and never again: a tag
 * set later (an approver) does not re-emit it with today's tags (see `approvalArtifact`); `reissue` (the
 * options changed) writes it again from what the state kept of the entry. `left` says
 * why when it can: `deleted` (the version is gone), `archived`, or a stage or alias change.
 */
export function transitionArtifacts(
  cx: RegistryContext,
  v: RegistryModelVersion,
  designations: Record<string, Designation>,
  prevV: VersionState | undefined,
  prevAt: number | undefined,
  now: number,
  deleted = false,
  reissue = false,
): Emitted[] {
  // The approval an entry record carries is the one held at entry (kept in the designation), never today's.
  const approvalAtEntry = (info: Designation | undefined): Record<string, string> => {
    const [approvedBy, approvedAt] = info?.approval ? (JSON.parse(info.approval) as (string | null)[]) : [];
    return optional({ approvedBy: approvedBy ?? undefined, approvedAt: approvedAt ?? undefined });
  };
  const stillProduction = !deleted && isProduction(cx.opts.production, v);
  const out: Emitted[] = [];
  const record = (
    designation: string,
    event: 'entered' | 'left',
    since: number,
    observed: boolean,
    from: string | undefined,
    reason: string | undefined,
    info?: Designation,
  ): Emitted => {
    const production = isProductionDesignation(cx.opts.production, designation);
    const [what, name] = splitDesignation(designation);
    const attributes: Record<string, JsonValue> = {
      ...common(cx, v),
      production: stillProduction,
      designation,
      event,
      [what]: name,
      productionDesignation: production,
      toProduction: event === 'entered' && production,
      fromProduction: event === 'left' && production,
      // The version serves no more under any production designation: it left production.
      leftProduction: event === 'left' && production && !stillProduction,
      basis: observed ? 'observed-change' : 'first-observation',
      ...(observed && prevAt !== undefined ? { changedAfter: new Date(prevAt).toISOString() } : {}),
      ...(from !== undefined ? { fromStage: from } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(event === 'entered' ? approvalAtEntry(info) : {}),
    };
    return {
      externalId: `models/${v.model}/versions/${v.version}/transitions/${designation}/${event}@${new Date(since).toISOString()}`,
      kind: 'stage-transition',
      observedAt: since,
      mediaType: 'application/json',
      attributes,
      endpoint: v.endpoint,
      body: canonicalJson({
        transition: attributes,
        versionNow: deleted ? { deleted: true } : { stage: v.stage, aliases: v.aliases, tags: v.tags },
      }),
    };
  };
  for (const [d, info] of Object.entries(designations).sort(([a], [b]) => codeUnitOrder(a, b))) {
    // Entered before: its record is sealed, as it was then. Only a changed configuration (which may
    // change `productionDesignation`) issues it again, still with the approval held at entry.
    if (prevV?.designations[d] && (!reissue || info.approval === undefined)) continue;
    out.push(record(d, 'entered', info.since, info.observed, info.from, undefined, info));
  }
  for (const d of Object.keys(prevV?.designations ?? {}).sort(codeUnitOrder)) {
    if (designations[d]) continue;
    // A stage left is stamped by MLflow's last_updated_timestamp; an alias removed or a deletion only by
    // our observation.
    const stampedByRegistry =
      !deleted && d.startsWith('stage:') && prevV?.updatedAt !== v.updatedAt && v.updatedAt !== undefined;
    const reason = deleted
      ? 'deleted'
      : v.stage === 'Archived' && prevV?.stage !== 'Archived'
        ? 'archived'
        : d.startsWith('stage:')
          ? 'stage-change'
          : 'alias-removed';
    out.push(record(d, 'left', stampedByRegistry ? v.updatedAt! : now, true, undefined, reason));
  }
  return out;
}

/** The approval tags of a version as one comparable value; null without any. */
export function approvalOf(cx: RegistryContext, v: RegistryModelVersion): string | null {
  const by = tagValue(cx.opts.tags.approvedBy, v.tags);
  const at = tagValue(cx.opts.tags.approvedAt, v.tags);
  return by === undefined && at === undefined ? null : JSON.stringify([by ?? null, at ?? null]);
}

/**
 * An `approval` record when approval tags appear (or change) on a version that was already in production
 * at the previous run: dated when it was observed, never earlier, whatever date the tag claims. It does
 * not make the entry into production approved; it records that approval came after deployment.
 */
export function approvalArtifact(
  cx: RegistryContext,
  v: RegistryModelVersion,
  prevV: VersionState | undefined,
  prevAt: number | undefined,
  now: number,
): Emitted | undefined {
  const approval = approvalOf(cx, v);
  // States of older collectors did not keep the approval: nothing to compare with, nothing claimed.
  if (!prevV || prevV.approval === undefined || approval === null || approval === prevV.approval) return undefined;
  const entries = Object.entries(prevV.designations).filter(([d]) => isProductionDesignation(cx.opts.production, d));
  if (entries.length === 0 || !isProduction(cx.opts.production, v)) return undefined;
  const since = Math.min(...entries.map(([, info]) => info.since));
  const approvedBy = tagValue(cx.opts.tags.approvedBy, v.tags);
  const approvedAt = tagValue(cx.opts.tags.approvedAt, v.tags);
  const claimed = approvedAt !== undefined ? Date.parse(approvedAt) : NaN;
  const attributes: Record<string, JsonValue> = {
    ...common(cx, v),
    event: 'approved-after-deployment',
    afterDeployment: true,
    productionSince: new Date(since).toISOString(),
    productionBy: entries.map(([d]) => d).sort(codeUnitOrder),
    basis: 'observed-change',
    ...(prevAt !== undefined ? { changedAfter: new Date(prevAt).toISOString() } : {}),
    // The tag's own date is a claim; one before the version entered production cannot be taken at its word.
    ...(Number.isNaN(claimed) ? {} : { claimedBeforeEntry: claimed < since }),
    ...optional({ approvedBy, approvedAt }),
  };
  return {
    externalId: `models/${v.model}/versions/${v.version}/approvals/${new Date(now).toISOString()}`,
    kind: 'approval',
    observedAt: now,
    mediaType: 'application/json',
    attributes,
    endpoint: v.endpoint,
    body: canonicalJson({ approval: attributes, versionNow: { stage: v.stage, aliases: v.aliases, tags: v.tags } }),
  };
}

function splitDesignation(d: string): ['stage' | 'alias', string] {
  const i = d.indexOf(':');
  return [d.slice(0, i) === 'stage' ? 'stage' : 'alias', d.slice(i + 1)];
}
