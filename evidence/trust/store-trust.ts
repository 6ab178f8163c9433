import { sha256Hex } from '../../core/digest';
import type { EvidenceStore } from '../store';
import { resolveTrust, type TrustResult } from './anchors';

/** The store's identity: the sha256 of its first manifest (immutable once written; none before). */
export async function storeIdOf(store: EvidenceStore): Promise<string | undefined> {
  const first = await store.readManifest(1);
  return first ? sha256Hex(first) : undefined;
}

/** The trust anchors applied to one store: its key records and transition statements against the pins. */
export async function resolveStoreTrust(store: EvidenceStore, pins: readonly string[]): Promise<TrustResult> {
  return resolveTrust({
    pins,
    keys: await store.listKeys(),
    transitions: await store.listKeyTransitions(),
    storeId: await storeIdOf(store),
  });
}
