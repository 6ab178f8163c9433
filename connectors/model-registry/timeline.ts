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
    out[d] = { since, observed: prevV !== undefined, ...(from !== undefined ? { from } : {}) };
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
): VersionState {
  return {
    fp,
    stage: v.stage,
    aliases: v.aliases,
    ...(v.updatedAt !== undefined ? { updatedAt: v.updatedAt } : {}),
    designations: currentDesignations(v, prevV, !prevV || prevV.updatedAt !== v.updatedAt, now),
    ...(production ? { recheck: true } : {}),
  };
}

/** One `stage-transition` artifact per designation entered (held now) or left since the last run. */
export function transitionArtifacts(
  cx: RegistryContext,
  v: RegistryModelVersion,
  designations: Record<string, Designation>,
  prevV: VersionState | undefined,
  prevAt: number | undefined,
  now: number,
): Emitted[] {
  const t = cx.opts.tags;
  const approval = optional({
    approvedBy: tagValue(t.approvedBy, v.tags),
    approvedAt: tagValue(t.approvedAt, v.tags),
  });
  const out: Emitted[] = [];
  const record = (
    designation: string,
    event: 'entered' | 'left',
    since: number,
    observed: boolean,
    from: string | undefined,
  ): Emitted => {
    const production = isProductionDesignation(cx.opts.production, designation);
    const [what, name] = splitDesignation(designation);
    const attributes: Record<string, JsonValue> = {
      ...common(cx, v),
      production: isProduction(cx.opts.production, v),
      designation,
      event,
      [what]: name,
      productionDesignation: production,
      toProduction: event === 'entered' && production,
      basis: observed ? 'observed-change' : 'first-observation',
      ...(observed && prevAt !== undefined ? { changedAfter: new Date(prevAt).toISOString() } : {}),
      ...(from !== undefined ? { fromStage: from } : {}),
      ...approval,
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
        versionNow: { stage: v.stage, aliases: v.aliases, tags: v.tags },
      }),
    };
  };
  for (const [d, info] of Object.entries(designations).sort(([a], [b]) => codeUnitOrder(a, b))) {
    out.push(record(d, 'entered', info.since, info.observed, info.from));
  }
  for (const d of Object.keys(prevV?.designations ?? {}).sort(codeUnitOrder)) {
    if (designations[d]) continue;
    // A stage left is stamped by MLflow's last_updated_timestamp; an alias removed only by our observation.
    const stampedByRegistry = d.startsWith('stage:') && prevV?.updatedAt !== v.updatedAt && v.updatedAt !== undefined;
    out.push(record(d, 'left', stampedByRegistry ? v.updatedAt! : now, true, undefined));
  }
  return out;
}

function splitDesignation(d: string): ['stage' | 'alias', string] {
  const i = d.indexOf(':');
  return [d.slice(0, i) === 'stage' ? 'stage' : 'alias', d.slice(i + 1)];
}
