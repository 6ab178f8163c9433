import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { sha256Hex } from '../../core/digest';

/**
 * Key fingerprints: the lowercase hex SHA-256 of the RAW 32-byte ed25519 public key (the last 32 bytes of
 * the SPKI DER), written `sha256:<hex>`. This is what people pin outside the store, so it must be
 * reproducible with openssl alone:
 *   openssl pkey -pubin -in key.pem -outform DER | tail -c 32 | sha256sum
 */
export function fingerprintOf(publicKeyPem: string | KeyObject): string {
  const key = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an ed25519 key: ${key.asymmetricKeyType}`);
  const der = key.export({ type: 'spki', format: 'der' });
  return sha256Hex(der.subarray(der.length - 32));
}

/** `sha256:<hex>`, the way fingerprints are printed and pinned. */
export function formatFingerprint(fingerprint: string): string {
  return `sha256:${fingerprint}`;
}

/** A fingerprint with or without its `sha256:` prefix (any case), or undefined when `text` is not one. */
export function parseFingerprint(text: string): string | undefined {
  const m = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(text.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

/** A mistake in a trust anchor (a `--trust` value or `signing.trustedKeys`): bad input, not a failed check. */
export class TrustInputError extends Error {
  override readonly name = 'TrustInputError';
}

/**
 * The fingerprints one `--trust` argument pins: a fingerprint itself, or a FILE holding either a PEM public
 * key or fingerprints one per line (`#` starts a comment). A private key is refused: an auditor pins
 * public material only, and a private key lying around next to the evidence is a mistake worth stopping.
 */
export async function readTrustArgument(arg: string): Promise<string[]> {
  const direct = parseFingerprint(arg);
  if (direct) return [direct];
  let text: string;
  try {
    text = await readFile(arg, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TrustInputError(
      code === 'ENOENT'
        ? `--trust ${arg}: neither a fingerprint (sha256:<64 hex>) nor an existing file`
        : `--trust ${arg}: cannot read (${(err as Error).message})`,
    );
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    throw new TrustInputError(`${arg}: is a PRIVATE key; pin the public key or its fingerprint instead`);
  if (text.includes('-----BEGIN PUBLIC KEY-----')) {
    try {
      return [fingerprintOf(text)];
    } catch (err) {
      throw new TrustInputError(`${arg}: not an ed25519 public key (${(err as Error).message})`);
    }
  }
  const out: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const fp = parseFingerprint(line);
    if (!fp) throw new TrustInputError(`${arg}:${i + 1}: "${line}" is not a fingerprint (sha256:<64 hex>)`);
    out.push(fp);
  }
  if (out.length === 0) throw new TrustInputError(`${arg}: no fingerprint in the file`);
  return out;
}
