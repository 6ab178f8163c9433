import { z } from 'zod';
import { canonicalJson } from '../../core/digest';
import { type Signer } from '../signing';
import { fingerprintOf } from '../trust/fingerprint';

/**
 * `export.json`, the audit pack's own statement of what it holds, and `export.json.sig`, the raw ed25519
 * signature over its exact bytes by the store's current key. Signed, so cutting bundles off the end of a pack
 * (and rebuilding SHA256SUMS) or moving its window shows as `export-altered`; `storeId`, `toSequence` and
 * `headDigest` tie the pack to the store's checkpoints. The same names as verify.ts's segment marker.
 */
export const markerFile = 'export.json';
export const markerSignatureFile = 'export.json.sig';
export const markerFormat = 'evidence-hub/export@1';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const iso = z.iso.datetime({ offset: false });

/** The signed fields; other fields (controls, note, ...) may sit beside them. */
export const signedMarkerSchema = z.object({
  format: z.literal(markerFormat),
  /** sha256 of the store's manifest #1 (null when the store had no bundle yet). */
  storeId: hex64.nullable(),
  fromSequence: z.number().int().positive(),
  /** The last bundle in the pack; fromSequence - 1 when the window holds none. */
  toSequence: z.number().int().nonnegative(),
  /** sha256 of the manifest before fromSequence (the anchor); null when the pack starts the chain. */
  previousDigest: hex64.nullable(),
  /** sha256 of manifest toSequence (the previous digest when the pack holds no bundle). */
  headDigest: hex64.nullable(),
  window: z.object({ from: iso, to: iso }),
  generatedAt: iso,
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
  fingerprint: hex64,
});

export type SignedMarker = z.infer<typeof signedMarkerSchema>;

export interface MarkerInput {
  storeId: string | null;
  fromSequence: number;
  toSequence: number;
  previousDigest: string | null;
  headDigest: string | null;
  window: { from: string; to: string };
  generatedAt: string;
  controls?: string | undefined;
}

/** export.json's bytes (canonical JSON) and their signature. */
export async function signMarker(input: MarkerInput, key: Signer): Promise<{ bytes: Buffer; signature: Buffer }> {
  const bytes = Buffer.from(
    canonicalJson({
      format: markerFormat,
      ...input,
      keyId: key.keyId,
      fingerprint: fingerprintOf(key.publicKeyPem),
      note: 'An audit pack: only the bundles sealed in the window. previousDigest is the sha256 of the manifest before fromSequence, which is not included; headDigest that of manifest toSequence. export.json.sig is the ed25519 signature over this file by key keyId (fingerprint: sha256 of the raw public key).',
    }),
  );
  return { bytes, signature: await key.sign(bytes) };
}
