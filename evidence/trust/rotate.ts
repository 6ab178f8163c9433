import { SigningKeyError } from '../../core/errors';
import type { Signer } from '../signing';
import type { EvidenceStore } from '../store';
import { assertCurrentSigner } from './signer-check';
import { storeIdOf } from './store-trust';
import { buildTransition, parseTransition, signTransition, type KeyTransition } from './transition';

/**
 * Rotates the store's signing key from `oldKey` (which must be the current key) to `newKey`: writes the
 * transition statement signed by the old key and countersigned by the new one, adds the new key's record
 * from `at`, and closes the old key's record at `at`. The only way keys change; sealing never does it.
 * Resumable: run again after a crash part-way and it finishes with the statement already written.
 */
export async function rotateKey(
  store: EvidenceStore,
  oldKey: Signer,
  newKey: Signer,
  at: Date = new Date(),
): Promise<KeyTransition> {
  if (newKey.keyId === oldKey.keyId) throw new SigningKeyError(`the new key is the current key ${oldKey.keyId}`);
  const keys = await store.listKeys();
  const previous = (await store.listKeyTransitions()).find((t) => t.newKeyId === newKey.keyId);
  let transition: KeyTransition;
  if (previous) {
    const parsed = parseTransition(previous);
    if (!parsed.ok || parsed.transition.from.keyId !== oldKey.keyId)
      throw new SigningKeyError(`a different transition to ${newKey.keyId} exists already; use another new key`);
    transition = parsed.transition; // finishing an interrupted rotation
  } else {
    await assertCurrentSigner(store, oldKey);
    if (keys.some((k) => k.keyId === newKey.keyId))
      throw new SigningKeyError(`key ${newKey.keyId} is already known to the store; rotate to a fresh key`);
    transition = buildTransition(oldKey, newKey.publicKeyPem, at, await storeIdOf(store));
    await store.writeKeyTransition(await signTransition(transition, oldKey, newKey));
  }
  if (!keys.some((k) => k.keyId === newKey.keyId))
    await store.putKeyRecord({
      keyId: newKey.keyId,
      algorithm: 'ed25519',
      publicKeyPem: newKey.publicKeyPem,
      validFrom: transition.validFrom,
    });
  const old = keys.find((k) => k.keyId === oldKey.keyId);
  if (old && old.validUntil === undefined) await store.putKeyRecord({ ...old, validUntil: transition.validFrom });
  return transition;
}
