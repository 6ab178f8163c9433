import { SigningKeyError } from '../../core/errors';
import type { Signer } from '../signing';
import type { EvidenceStore } from '../store';
import { fingerprintOf, formatFingerprint } from './fingerprint';
import { resolveStoreTrust } from './store-trust';

export type SignerStatus = { ready: true } | { ready: false; reason: string };

const describe = (keyId: string, pem: string) => `${keyId} (${formatFingerprint(fingerprintOf(pem))})`;

/**
 * Whether `key` may seal into `store`: it must be the store's one current key (registered by `keys init` or
 * made current by `keys rotate`), and trusted when pins are configured. A worker checks this at start and
 * before every seal; sealing never registers or rotates keys, so two workers with different keys can no
 * longer close each other's keys and leave a chain that fails verification while every sweep says success.
 */
export async function signerStatus(
  store: EvidenceStore,
  key: Signer,
  pins: readonly string[] = [],
): Promise<SignerStatus> {
  const keys = await store.listKeys();
  const current = keys.filter((k) => k.validUntil === undefined);
  const mine = describe(key.keyId, key.publicKeyPem);
  if (current.length === 0)
    return {
      ready: false,
      reason: `the store ${store.location} has no current signing key; run \`evidence-hub keys init\` on the host that holds key ${mine}`,
    };
  if (current.length > 1)
    return {
      ready: false,
      reason: `the store ${store.location} has ${current.length} current keys (${current.map((k) => describe(k.keyId, k.publicKeyPem)).join(', ')}); a store has one signer: retire all but one with \`evidence-hub keys rotate\``,
    };
  const cur = current[0]!;
  if (cur.keyId !== key.keyId || cur.publicKeyPem.trim() !== key.publicKeyPem.trim())
    return {
      ready: false,
      reason: `this worker's signing key ${mine} is not the store's current key ${describe(cur.keyId, cur.publicKeyPem)}; give this worker the current key, or rotate to it with \`evidence-hub keys rotate\``,
    };
  if (pins.length > 0) {
    const trust = await resolveStoreTrust(store, pins);
    const t = trust.trusted.get(fingerprintOf(key.publicKeyPem));
    if (!t || t.until !== undefined)
      return {
        ready: false,
        reason: `this worker's signing key ${mine} is not trusted by signing.trustedKeys (${pins.map(formatFingerprint).join(', ')}), directly or through a valid key transition`,
      };
  }
  return { ready: true };
}

/** Throws a non-retryable SigningKeyError naming both keys when `key` may not seal. */
export async function assertCurrentSigner(
  store: EvidenceStore,
  key: Signer,
  pins: readonly string[] = [],
): Promise<void> {
  const status = await signerStatus(store, key, pins);
  if (!status.ready) throw new SigningKeyError(`refusing to seal: ${status.reason}`);
}
