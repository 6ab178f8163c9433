import type { IndexedArtifact } from './indexed-artifact';

/** Newest first, ties broken by id so the answer never depends on input order. */
function newestFirst(a: IndexedArtifact, b: IndexedArtifact): number {
  return b.observedAt - a.observedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Which buckets a rule reads: a source type, optionally narrowed to one kind. */
export interface Scope {
  sourceType: string;
  kind?: string;
}

/**
 * Artifacts grouped by (source type, kind), each group newest first: the evaluator reads only the groups
 * a rule can match, so a rule on GitHub releases never walks a million pull requests. Build it once per
 * index and reuse it for every evaluation of that index (the audit pack evaluates at many dates).
 */
export class ArtifactBuckets {
  private readonly merged = new Map<string, readonly IndexedArtifact[]>();

  private constructor(
    /** sourceType → kind → newest-first artifacts. */
    private readonly byTypeKind: ReadonlyMap<string, ReadonlyMap<string, readonly IndexedArtifact[]>>,
  ) {}

  static of(artifacts: readonly IndexedArtifact[]): ArtifactBuckets {
    const groups = groupByTypeAndKind(artifacts);
    for (const kinds of groups.values()) {
      for (const list of kinds.values()) {
        // The index keeps artifacts newest first, so this is usually one pass that finds them in order.
        let sorted = true;
        for (let i = 1; i < list.length && sorted; i++) sorted = newestFirst(list[i - 1]!, list[i]!) <= 0;
        if (!sorted) list.sort(newestFirst);
      }
    }
    return new ArtifactBuckets(groups);
  }

  /**
   * One newest-first list of everything the scopes can match. A scope without a kind takes its whole
   * source type. Lists that combine several buckets are merged once and kept.
   */
  candidates(scopes: readonly Scope[]): readonly IndexedArtifact[] {
    return this.candidatesFor(ArtifactBuckets.keyOf(scopes));
  }

  /** `candidates` by the key `keyOf` gives for the scopes. */
  candidatesFor(key: string): readonly IndexedArtifact[] {
    let list = this.merged.get(key);
    if (!list) {
      const parts: (readonly IndexedArtifact[])[] = [];
      for (const k of key.split('\u0001')) {
        const [type, kind] = k.split('\u0000') as [string, string | undefined];
        const kinds = this.byTypeKind.get(type);
        if (!kinds) continue;
        if (kind === undefined) parts.push(...kinds.values());
        else if (kinds.has(kind)) parts.push(kinds.get(kind)!);
      }
      list = mergeNewestFirst(parts);
      this.merged.set(key, list);
    }
    return list;
  }

  /** The identity of `candidates(scopes)`: rules with the same key read the same list. */
  static keyOf(scopes: readonly Scope[]): string {
    const wholeTypes = new Set(scopes.filter((s) => s.kind === undefined).map((s) => s.sourceType));
    return [
      ...new Set(scopes.map((s) => (wholeTypes.has(s.sourceType) ? s.sourceType : `${s.sourceType}\u0000${s.kind}`))),
    ]
      .sort()
      .join('\u0001');
  }
}

/**
 * One pass. Consecutive artifacts often share their type and kind, so the last pair is remembered
 * before the maps are asked; arrays are allocated at their final size (growing arrays of a million
 * references leave copies for the garbage collector).
 */
function groupByTypeAndKind(artifacts: readonly IndexedArtifact[]): Map<string, Map<string, IndexedArtifact[]>> {
  const bucketOf = new Int32Array(artifacts.length);
  const ids = new Map<string, Map<string, number>>();
  const counts: number[] = [];
  let lastType: string | undefined;
  let lastKind: string | undefined;
  let lastId = -1;
  for (let i = 0; i < artifacts.length; i++) {
    const a = artifacts[i]!;
    if (a.sourceType !== lastType || a.kind !== lastKind) {
      let kinds = ids.get(a.sourceType);
      if (!kinds) ids.set(a.sourceType, (kinds = new Map()));
      let id = kinds.get(a.kind);
      if (id === undefined) {
        kinds.set(a.kind, (id = counts.length));
        counts.push(0);
      }
      lastType = a.sourceType;
      lastKind = a.kind;
      lastId = id;
    }
    bucketOf[i] = lastId;
    counts[lastId]!++;
  }
  const lists = counts.map((n) => new Array<IndexedArtifact>(n));
  const fill = new Int32Array(counts.length);
  for (let i = 0; i < artifacts.length; i++) {
    const id = bucketOf[i]!;
    lists[id]![fill[id]!++] = artifacts[i]!;
  }
  const groups = new Map<string, Map<string, IndexedArtifact[]>>();
  for (const [type, kinds] of ids) groups.set(type, new Map([...kinds].map(([kind, id]) => [kind, lists[id]!])));
  return groups;
}

/** Merges newest-first lists in linear time (pairwise; rules read few buckets). */
function mergeNewestFirst(lists: readonly (readonly IndexedArtifact[])[]): readonly IndexedArtifact[] {
  let parts = lists.filter((l) => l.length > 0);
  if (parts.length === 0) return [];
  while (parts.length > 1) {
    const next: (readonly IndexedArtifact[])[] = [];
    for (let i = 0; i < parts.length; i += 2)
      next.push(i + 1 < parts.length ? mergeTwo(parts[i]!, parts[i + 1]!) : parts[i]!);
    parts = next;
  }
  return parts[0]!;
}

function mergeTwo(a: readonly IndexedArtifact[], b: readonly IndexedArtifact[]): IndexedArtifact[] {
  const out = new Array<IndexedArtifact>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = newestFirst(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
