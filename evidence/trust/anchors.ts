import { keyIdOf } from '../signing';
import type { KeyRecord, StoredTransition } from '../store';
import { fingerprintOf, formatFingerprint } from './fingerprint';
import { checkTransition, parseTransition, type KeyTransition } from './transition';

/**
 * Which keys are trusted, from pins held outside the store. Everything in keys/ is a candidate only: whoever
 * can write the store can put any key there. A key is trusted when its fingerprint is pinned, or when a
 * trusted key endorsed it with a valid transition statement while it was itself trusted (transitively, in
 * validFrom order). Each trusted key has a window: an endorsed key from its transition's validFrom, and
 * every key until the validFrom of the first valid transition away from it, so a retired key can neither
 * sign later bundles nor endorse a second successor.
 */
export type TrustProblemCode = 'untrusted-key' | 'key-id-mismatch' | 'transition-invalid';

export interface TrustProblem {
  code: TrustProblemCode;
  keyId?: string;
  message: string;
}

export interface TrustedKey {
  keyId: string;
  fingerprint: string;
  publicKeyPem: string;
  /** Start of trust (ISO); undefined for a pinned key, trusted from the beginning. */
  from?: string | undefined;
  /** End of trust: when the key handed over to its successor; undefined while it is the newest. */
  until?: string | undefined;
  /** 'pinned', or the keyId of the key that endorsed it. */
  via: string;
}

export interface TrustResult {
  /** True when at least one pin was given: only then does `trusted` mean anything about authenticity. */
  anchored: boolean;
  /** Key records whose keyId belongs to their public key; records that fail this are only reported. */
  candidates: KeyRecord[];
  /** Trusted keys by fingerprint. */
  trusted: Map<string, TrustedKey>;
  /** Transitions that verified (signature, shape), trusted or not, in validFrom order. */
  transitions: KeyTransition[];
  problems: TrustProblem[];
}

/** Clock skew tolerated at the start of a key's window, as for key records (a seal may start just before). */
export const startSkewMs = 5 * 60_000;

export function resolveTrust(input: {
  pins: readonly string[];
  keys: readonly KeyRecord[];
  transitions: readonly StoredTransition[];
  storeId?: string | undefined;
}): TrustResult {
  const problems: TrustProblem[] = [];
  const candidates: KeyRecord[] = [];
  /** Public keys by fingerprint, from key records and from the statements' new keys. */
  const pems = new Map<string, string>();
  for (const k of input.keys) {
    let actual: string | undefined;
    try {
      actual = keyIdOf(k.publicKeyPem);
    } catch {
      actual = undefined;
    }
    if (actual !== k.keyId) {
      problems.push({
        code: 'key-id-mismatch',
        keyId: k.keyId,
        message: `key record ${k.keyId} holds a public key whose keyId is ${actual ?? '(not a public key)'}: the key was swapped under an existing keyId`,
      });
      continue;
    }
    candidates.push(k);
    pems.set(fingerprintOf(k.publicKeyPem), k.publicKeyPem);
  }
  const parsed: { stored: StoredTransition; t: KeyTransition }[] = [];
  for (const stored of input.transitions) {
    const p = parseTransition(stored);
    if (!p.ok) {
      problems.push(invalid(stored.newKeyId, p.reason));
      continue;
    }
    parsed.push({ stored, t: p.transition });
    pems.set(p.transition.to.fingerprint, p.transition.to.publicKeyPem);
  }
  parsed.sort((a, b) => a.t.validFrom.localeCompare(b.t.validFrom) || a.t.to.keyId.localeCompare(b.t.to.keyId));

  const trusted = new Map<string, TrustedKey>();
  for (const fp of new Set(input.pins)) {
    const pem = pems.get(fp);
    // A pinned key absent from the store is no problem in itself: bundles it did not sign are judged alone.
    if (pem) trusted.set(fp, { keyId: keyIdOf(pem), fingerprint: fp, publicKeyPem: pem, via: 'pinned' });
  }
  const transitions: KeyTransition[] = [];
  for (const { stored, t } of parsed) {
    const check = checkTransition(stored, pems.get(t.from.fingerprint), input.storeId);
    if (!check.ok) {
      problems.push(invalid(t.to.keyId, check.reason));
      continue;
    }
    transitions.push(t);
    const from = trusted.get(t.from.fingerprint);
    if (!from) continue; // a valid statement from an untrusted key endorses nothing
    if (from.until !== undefined) {
      problems.push(
        invalid(
          t.to.keyId,
          `key ${t.from.keyId} already handed over at ${from.until}; it cannot endorse ${t.to.keyId} from ${t.validFrom} (a retired key signing again?)`,
        ),
      );
      continue;
    }
    if (from.from !== undefined && Date.parse(t.validFrom) < Date.parse(from.from)) {
      problems.push(
        invalid(t.to.keyId, `endorses ${t.to.keyId} from ${t.validFrom}, before ${t.from.keyId} was trusted`),
      );
      continue;
    }
    from.until = t.validFrom;
    if (!trusted.has(t.to.fingerprint)) {
      trusted.set(t.to.fingerprint, {
        keyId: t.to.keyId,
        fingerprint: t.to.fingerprint,
        publicKeyPem: t.to.publicKeyPem,
        from: t.validFrom,
        via: t.from.keyId,
      });
    }
  }
  return { anchored: input.pins.length > 0, candidates, trusted, transitions, problems };
}

/**
 * Why a signature by `keyId` at `at` is not authentic, or undefined when a trusted key made it in its window.
 * Only meaningful when the result is anchored.
 */
export function untrustedReason(trust: TrustResult, keyId: string, at: string): string | undefined {
  const record = trust.candidates.find((k) => k.keyId === keyId);
  const key = record ? trust.trusted.get(fingerprintOf(record.publicKeyPem)) : undefined;
  if (!record || !key)
    return `key ${keyId}${record ? ` (${formatFingerprint(fingerprintOf(record.publicKeyPem))})` : ''} is neither pinned nor endorsed by a pinned key`;
  const t = Date.parse(at);
  if (
    (key.from !== undefined && t < Date.parse(key.from) - startSkewMs) ||
    (key.until !== undefined && t > Date.parse(key.until))
  )
    return `key ${keyId} is trusted only from ${key.from ?? 'the start'} until ${key.until ?? 'now'}, not at ${at}`;
  return undefined;
}

function invalid(keyId: string, reason: string): TrustProblem {
  return { code: 'transition-invalid', keyId, message: `key transition to ${keyId}: ${reason}` };
}

/** The candidate key records that are trusted (for checks such as tombstones that take key records). */
export function trustedRecords(trust: TrustResult): KeyRecord[] {
  return trust.candidates.filter((k) => trust.trusted.has(fingerprintOf(k.publicKeyPem)));
}
