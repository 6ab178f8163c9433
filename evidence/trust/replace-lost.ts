import { SigningKeyError } from '../../core/errors';
import type { Signer } from '../signing';
import type { EvidenceStore, KeyRecord } from '../store';

/**
 * The way on after the store's current private key is lost (no backup): the lost key cannot sign a
 * transition, so the new key is registered WITHOUT one and the lost key's record is closed at `at`. Nothing
 * in the store vouches for the new key: `verify` calls its bundles `untrusted-key` until the organisation
 * pins the new fingerprint out of band (next to the old pin, which keeps authenticating the bundles sealed
 * before). The lost key must be named by its keyId, so nobody replaces a working key by accident.
 * Resumable: run again after a crash part-way and it finishes.
 */
export async function replaceLostKey(
  store: EvidenceStore,
  lostKeyId: string,
  newKey: Signer,
  at: Date = new Date(),
): Promise<{ lost: KeyRecord; validFrom: string }> {
  const keys = await store.listKeys();
  const lost = keys.find((k) => k.keyId === lostKeyId);
  if (!lost) throw new SigningKeyError(`the store ${store.location} has no key ${lostKeyId}`);
  if (newKey.keyId === lostKeyId)
    throw new SigningKeyError(
      `this host's key is ${lostKeyId} itself: it is not lost; rotate with \`evidence-hub keys rotate\` instead`,
    );
  const mine = keys.find((k) => k.keyId === newKey.keyId);
  const others = keys.filter((k) => k.validUntil === undefined && k.keyId !== lostKeyId && k.keyId !== newKey.keyId);
  if (lost.validUntil !== undefined && !mine)
    throw new SigningKeyError(`key ${lostKeyId} is not the store's current key (closed at ${lost.validUntil})`);
  if (others.length > 0)
    throw new SigningKeyError(
      `the store's current key is ${others.map((k) => k.keyId).join(', ')}, not ${lostKeyId}; nothing to replace`,
    );
  if (mine && mine.publicKeyPem.trim() !== newKey.publicKeyPem.trim())
    throw new SigningKeyError(`the store has a different key under keyId ${newKey.keyId}`);
  const validFrom = mine?.validFrom ?? at.toISOString();
  if (!mine)
    await store.putKeyRecord({
      keyId: newKey.keyId,
      algorithm: 'ed25519',
      publicKeyPem: newKey.publicKeyPem,
      validFrom,
    });
  if (lost.validUntil === undefined) await store.putKeyRecord({ ...lost, validUntil: validFrom });
  return { lost, validFrom };
}
