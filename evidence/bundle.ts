import type { MappingSet } from '../mappings/load';
import { canonicalJson } from '../core/digest';
import { bundleFormat, parseManifest, type ArtifactRecord, type Manifest } from './manifest';
import type { SourceOutcome, Trigger } from '../core/sweep-outcome';
import { writeCheckpoint } from './checkpoint';
import { merkleRoot } from './merkle';
import { notRecordedSince, unsealedOperatorActions } from './operator-actions';
import { type Signer } from './signing';
import { assertCurrentSigner } from './trust/signer-check';
import { sealTestBarrier } from './seal-test-hook';
import type { CommittedBundle, EvidenceStore } from './store';

export interface BundleRequest {
  bundleId: string;
  startedAt: string;
  trigger: Trigger;
  outcomes: SourceOutcome[];
}

export interface BundleSummary extends CommittedBundle {
  artifactCount: number;
  controlsWithEvidence: number;
  failedSources: string[];
}

/** Which controls each artifact is evidence for, by the mapping selectors (freshness is judged later). */
export function mapControls(artifacts: readonly ArtifactRecord[], mappings: MappingSet): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const rule of mappings.rules) {
    for (const a of artifacts) {
      if (!rule.matches(a)) continue;
      for (const c of rule.controls) (out[c] ??= new Set()).add(a.id);
    }
  }
  return Object.fromEntries(
    Object.keys(out)
      .sort()
      .map((c) => [c, [...out[c]!].sort()]),
  );
}

/** Told about bookkeeping after the commit point that failed and was left for later (see `afterCommit`). */
export type DeferredBookkeeping = (step: 'checkpoint' | 'finish', err: unknown) => void;

/**
 * Seals a sweep: reads the staged records of every source that succeeded, maps them to controls, and
 * appends a signed manifest to the store's chain. Safe to retry: a bundle id is committed at most once.
 * All or nothing from the caller's view: it throws only when no manifest of this bundle was committed.
 */
export async function sealBundle(
  store: EvidenceStore,
  key: Signer,
  mappings: MappingSet,
  req: BundleRequest,
  clock: () => Date = () => new Date(),
  deferred: DeferredBookkeeping = () => undefined,
): Promise<BundleSummary> {
  // Sources collected with problems ('partial') keep their evidence: only failed ones have none.
  const okSources = req.outcomes.filter((o) => o.status !== 'failed').map((o) => o.source);
  const failedSources = req.outcomes.filter((o) => o.status === 'failed').map((o) => o.source);
  // A retry after a crash that followed the commit: the staged records may be gone already, so the
  // committed bundle is answered from its manifest before anything is read from staging.
  const existing = await store.findBundle(req.bundleId);
  if (existing) {
    const bytes = (await store.readManifest(existing.sequence))!;
    const manifest = parseManifest(bytes);
    // The crash may also have come before the checkpoint: write it now (a no-op when it exists).
    await afterCommit(store, key, existing, manifest.finishedAt, deferred, () =>
      finish(store, req.bundleId, okSources, manifest),
    );
    return {
      ...existing,
      artifactCount: manifest.artifacts.length,
      controlsWithEvidence: Object.keys(manifest.controls).length,
      failedSources,
    };
  }
  const artifacts: ArtifactRecord[] = [];
  for (const source of [...okSources].sort()) artifacts.push(...(await store.readStaged(req.bundleId, source)));
  const controls = mapControls(artifacts, mappings);
  const unsealed = await unsealedOperatorActions(store);
  let operatorActions = unsealed.actions;
  // Sealing never registers or rotates keys (`evidence-hub keys init|rotate` do): a key that is not the
  // store's current one is refused here, non-retryably, instead of writing bundles that fail verification.
  await assertCurrentSigner(store, key);
  await sealTestBarrier('before-commit'); // a test hook, inert unless its environment variables are set
  let sealedAt = '';
  const committed = await store.commitBundle(req.bundleId, async (head) => {
    sealedAt = clock().toISOString();
    operatorActions = await notRecordedSince(store, unsealed, head?.sequence ?? 0);
    const manifest: Manifest = {
      format: bundleFormat,
      bundleId: req.bundleId,
      sequence: (head?.sequence ?? 0) + 1,
      previousDigest: head?.digest ?? null,
      startedAt: req.startedAt,
      finishedAt: sealedAt,
      trigger: req.trigger,
      signing: { keyId: key.keyId, algorithm: 'ed25519' },
      mappingDigest: mappings.digest,
      sources: req.outcomes,
      artifacts,
      controls,
      merkleRoot: merkleRoot(artifacts.map((a) => a.sha256)),
      ...(operatorActions.length > 0 ? { operatorActions } : {}),
    };
    const bytes = Buffer.from(canonicalJson(manifest));
    return { bytes, signature: await key.sign(bytes) };
  });
  // `commitBundle` may have returned a bundle another attempt committed: its manifest gives the seal time.
  // (Only when a concurrent attempt committed it: a failed read then fails this attempt, still before any
  // bookkeeping, and a retry answers from the `existing` path above.)
  const sealed = sealedAt ? undefined : parseManifest((await store.readManifest(committed.sequence))!);
  await sealTestBarrier('after-commit'); // a test hook, inert unless its environment variables are set
  await afterCommit(store, key, committed, sealed?.finishedAt ?? sealedAt, deferred, () =>
    finish(store, req.bundleId, okSources, sealed ?? { operatorActions }),
  );
  return {
    ...committed,
    artifactCount: artifacts.length,
    controlsWithEvidence: Object.keys(controls).length,
    failedSources,
  };
}

/**
 * The bookkeeping after the commit point (the manifest's create-if-absent in evidence/chain.ts). Once
 * that manifest exists the bundle is committed, so a failure here must not make the seal report failure:
 * a caller told "failed" believes nothing was sealed, and a non-retried failure (a full disk's
 * StoreFullError) would never learn otherwise. Each step is recoverable instead, so each is tried, and
 * a failed one is reported to `deferred` (logged by the activity) and left for later:
 * - the signed checkpoint of this head: verify accepts a head without one (it checks the checkpoints that
 *   exist), the next seal's checkpoint attests this bundle too (it chains through it), and a retry of this
 *   seal writes it (the `existing` path above). A half-written one is not visible: `.sig` goes first and
 *   only a `.txt` makes a checkpoint.
 * - `finish`: source state not promoted means the next sweep collects from the previous sealed state
 *   (more work, same evidence); an operator action this manifest records but still pending is dropped by
 *   the next seal, never sealed twice (`unsealedOperatorActions`); staging left behind belongs to a sealed
 *   id, which no seal reads again (a retry of this seal answers from the manifest, above).
 */
async function afterCommit(
  store: EvidenceStore,
  key: Signer,
  committed: CommittedBundle,
  sealedAt: string,
  deferred: DeferredBookkeeping,
  finishing: () => Array<() => Promise<void>>,
): Promise<void> {
  await writeCheckpoint(store, key, committed, sealedAt).catch((err: unknown) => deferred('checkpoint', err));
  for (const step of finishing()) await step().catch((err: unknown) => deferred('finish', err));
}

/**
 * After the commit: the sources' new state takes effect, the staged records go, and the operator actions
 * the committed manifest recorded leave the pending log (exactly those: one logged meanwhile waits).
 * Independent steps, in this order (state before staging: promoting reads the staged state), each tried
 * even when an earlier one failed (`afterCommit`).
 */
function finish(
  store: EvidenceStore,
  bundleId: string,
  okSources: string[],
  committed: Pick<Manifest, 'operatorActions'>,
): Array<() => Promise<void>> {
  return [
    ...okSources.map((source) => () => store.promoteSourceState(bundleId, source)),
    () => store.removeOperatorActions((committed.operatorActions ?? []).map((a) => a.id)),
    () => store.removeStaging(bundleId),
  ];
}
