import { z } from 'zod';
import { secretRefSchema } from '../core/secrets';

/**
 * `signing.pkcs11`: the store's ed25519 key on a PKCS#11 token (an HSM, a smart card, SoftHSM, or a cloud
 * KMS behind a PKCS#11 bridge), so the private key never is on the worker's disk. The PIN is a secret
 * reference like every other secret: never written in the config, never logged.
 */
export const pkcs11SigningSchema = z.strictObject({
  /** The vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  module: z.string().min(1, 'the path of the PKCS#11 library (.so), e.g. /usr/lib/softhsm/libsofthsm2.so'),
  /** The token's label (CKA_LABEL of the token, as `pkcs11-tool --list-slots` prints it). */
  tokenLabel: z.string().min(1).max(32, 'a PKCS#11 token label has at most 32 characters'),
  /** The label (CKA_LABEL) of the ed25519 key pair on the token: its private and its public key object. */
  keyLabel: z.string().min(1),
  /** The user PIN: { env: VARIABLE } or { file: path }. */
  pin: secretRefSchema,
});

export type Pkcs11SigningConfig = z.infer<typeof pkcs11SigningSchema>;

/** The config error hint for a `signing` section that names no key or two. */
export const signingKeyChoiceMessage =
  'signing needs exactly one of key: { file: path/to/key.pem } (or { env: VARIABLE }) and pkcs11: { module, tokenLabel, keyLabel, pin }';
