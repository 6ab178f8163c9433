import { z } from 'zod';
import { canonicalJson } from '../../core/digest';
import { keyIdOf, verifyBytes, type Signer } from '../signing';
import type { StoredTransition } from '../store';
import { fingerprintOf } from './fingerprint';

/**
 * Key transition statements (in the spirit of in-toto/Sigstore signed statements): the old key signs "from
 * <validFrom> on, <new key> signs for this store". The new key may countersign, proving it holds the private
 * key (so nobody can endorse a key they do not control by mistake). Stored as keys/transitions/<newKeyId>.json
 * (canonical JSON, exactly the signed bytes), .sig and .countersig. Only `evidence-hub keys rotate` writes one.
 */
export const transitionFormat = 'evidence-hub/key-transition@1';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const transitionSchema = z.strictObject({
  format: z.literal(transitionFormat),
  from: z.strictObject({ keyId: z.string().regex(/^[0-9a-f]{16}$/), fingerprint: hex64 }),
  to: z.strictObject({ keyId: z.string().regex(/^[0-9a-f]{16}$/), fingerprint: hex64, publicKeyPem: z.string() }),
  validFrom: z.iso.datetime(),
  storeId: hex64.optional(),
});

export type KeyTransition = z.infer<typeof transitionSchema>;

export function buildTransition(
  from: Signer,
  toPublicKeyPem: string,
  validFrom: Date,
  storeId?: string | undefined,
): KeyTransition {
  return {
    format: transitionFormat,
    from: { keyId: from.keyId, fingerprint: fingerprintOf(from.publicKeyPem) },
    to: { keyId: keyIdOf(toPublicKeyPem), fingerprint: fingerprintOf(toPublicKeyPem), publicKeyPem: toPublicKeyPem },
    validFrom: validFrom.toISOString(),
    ...(storeId !== undefined ? { storeId } : {}),
  };
}

/** Signs with the old key and, when given, countersigns with the new one. */
export async function signTransition(t: KeyTransition, oldKey: Signer, newKey?: Signer): Promise<StoredTransition> {
  if (oldKey.keyId !== t.from.keyId) throw new Error(`transition is from ${t.from.keyId}, not ${oldKey.keyId}`);
  if (newKey && newKey.keyId !== t.to.keyId) throw new Error(`transition is to ${t.to.keyId}, not ${newKey.keyId}`);
  const body = Buffer.from(canonicalJson(t));
  return {
    newKeyId: t.to.keyId,
    body,
    signature: await oldKey.sign(body),
    ...(newKey ? { countersignature: await newKey.sign(body) } : {}),
  };
}

export type TransitionCheck = { ok: true; transition: KeyTransition } | { ok: false; reason: string };

/** Parses a stored statement without checking signatures (which need the old key's PEM). */
export function parseTransition(stored: StoredTransition): TransitionCheck {
  let t: KeyTransition;
  try {
    t = transitionSchema.parse(JSON.parse(stored.body.toString('utf8')));
  } catch (err) {
    return { ok: false, reason: `not a ${transitionFormat} statement (${(err as Error).message.split('\n')[0]})` };
  }
  if (t.to.keyId !== stored.newKeyId)
    return { ok: false, reason: `stored as ${stored.newKeyId} but transitions to ${t.to.keyId}` };
  try {
    if (keyIdOf(t.to.publicKeyPem) !== t.to.keyId || fingerprintOf(t.to.publicKeyPem) !== t.to.fingerprint)
      return { ok: false, reason: `the new key's keyId or fingerprint does not belong to its public key` };
  } catch (err) {
    return { ok: false, reason: `the new public key is not an ed25519 key (${(err as Error).message})` };
  }
  return { ok: true, transition: t };
}

/**
 * Checks a statement completely: its shape, that the old key (`fromPublicKeyPem`, found by the statement's
 * `from.fingerprint`) signed these exact bytes, the countersignature when there is one, and that it belongs
 * to this store when both name a store.
 */
export function checkTransition(
  stored: StoredTransition,
  fromPublicKeyPem: string | undefined,
  storeId?: string | undefined,
): TransitionCheck {
  const parsed = parseTransition(stored);
  if (!parsed.ok) return parsed;
  const t = parsed.transition;
  if (!fromPublicKeyPem) return { ok: false, reason: `the old key sha256:${t.from.fingerprint} is not in the store` };
  if (fingerprintOf(fromPublicKeyPem) !== t.from.fingerprint || keyIdOf(fromPublicKeyPem) !== t.from.keyId)
    return { ok: false, reason: `the old key's keyId ${t.from.keyId} does not match its fingerprint` };
  if (!stored.signature || !verifyBytes(fromPublicKeyPem, stored.body, stored.signature))
    return { ok: false, reason: `not signed by the old key ${t.from.keyId} (signature missing or invalid)` };
  if (stored.countersignature && !verifyBytes(t.to.publicKeyPem, stored.body, stored.countersignature))
    return { ok: false, reason: `the countersignature of the new key ${t.to.keyId} is invalid` };
  if (storeId !== undefined && t.storeId !== undefined && t.storeId !== storeId)
    return { ok: false, reason: `made for another store (${t.storeId.slice(0, 12)}), not this one` };
  return { ok: true, transition: t };
}
