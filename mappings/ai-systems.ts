import type { ArtifactBuckets } from './buckets';
import type { IndexedArtifact } from './indexed-artifact';

/**
 * The AI system inventory as the evaluator reads it (config/ai-systems.ts reads the register file and the
 * config block into this). Systems come from a register, from the model registry's records in the index,
 * or both; the same id from both is one system.
 */

/** One AI system of the register. Times are epoch ms. */
export interface RegisteredSystem {
  id: string;
  /** When it entered the inventory: it owes evidence only after the grace period from then. */
  addedOn?: number;
  /** Retired on this day: from then on it owes no evidence. */
  retiredOn?: number;
  /** Where the register names it, for messages: "ai-systems.csv:3". */
  origin: string;
}

/** How registered models in the index name AI systems: the model's name, or the value of one of its tags. */
export interface RegistryReading {
  /** Source types whose `registered-model` records name systems (mlflow, sagemaker). */
  sourceTypes: readonly string[];
  /** Dotted attribute holding the system's id: `model` (the model name) or `tags.<tag>`. */
  nameAttribute: string;
}

export interface AiSystemInventory {
  register: readonly RegisteredSystem[];
  registry?: RegistryReading;
  /** How long a new system may go without evidence before it counts as missing. */
  grace: { ms: number; text: string };
}

/** A system as of an evaluation time: in scope, retired, or still inside its grace. */
export interface SystemAt {
  id: string;
  /** When the grace period of a new system ends (absent when the inventory gives no added date). */
  graceEndsAt?: number;
  retiredOn?: number;
  /** Where the system is named: register file lines and/or registry source types. */
  origins: string[];
}

const registeredModelKind = 'registered-model';

/**
 * The systems known at `now`. A register entry added after `now` does not exist yet (so `status --as-of`
 * and the readiness forecast see the inventory as it was); a registry system exists from its first
 * record known at `now`. The register's dates win over the registry's for a system named in both.
 */
export function systemsAt(inventory: AiSystemInventory, buckets: ArtifactBuckets, now: number): SystemAt[] {
  const byId = new Map<string, SystemAt & { since?: number }>();
  if (inventory.registry) {
    const { sourceTypes, nameAttribute } = inventory.registry;
    const records = buckets.candidates(sourceTypes.map((t) => ({ sourceType: t, kind: registeredModelKind })));
    for (const a of records) {
      if (a.observedAt > now || a.collectedAt > now) continue;
      const id = textAt(a, nameAttribute);
      if (id === undefined) continue;
      const since = Math.min(a.observedAt, a.collectedAt);
      const known = byId.get(id);
      if (!known) byId.set(id, { id, since, origins: [a.sourceType] });
      else {
        known.since = Math.min(known.since ?? since, since);
        if (!known.origins.includes(a.sourceType)) known.origins.push(a.sourceType);
      }
    }
  }
  for (const s of inventory.register) {
    if (s.addedOn !== undefined && s.addedOn > now) continue;
    const known = byId.get(s.id);
    const since = s.addedOn ?? known?.since;
    byId.set(s.id, {
      id: s.id,
      ...(since !== undefined ? { since } : {}),
      ...(s.retiredOn !== undefined ? { retiredOn: s.retiredOn } : {}),
      origins: [s.origin, ...(known?.origins ?? [])],
    });
  }
  return [...byId.values()]
    .map(({ since, ...s }) => ({ ...s, ...(since !== undefined ? { graceEndsAt: since + inventory.grace.ms } : {}) }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** An attribute by dotted path, as text (numbers too). */
export function textAt(a: Pick<IndexedArtifact, 'attributes'>, dotted: string): string | undefined {
  let v: unknown = a.attributes;
  if (Object.hasOwn(a.attributes, dotted)) v = a.attributes[dotted];
  else
    for (const k of dotted.split('.'))
      v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
