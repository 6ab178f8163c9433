import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256Hex } from '../core/digest';

/**
 * Whatever signs for the store: bundles, checkpoints, tombstones, key transitions and export.json all go
 * through `sign`. The private key never has to be in this process: a key file is one implementation
 * (below), a PKCS#11 token (an HSM, or a cloud KMS behind a PKCS#11 bridge) another (signer/pkcs11.ts).
 * Async because a token or a remote KMS answers asynchronously.
 */
export interface Signer {
  /** First 16 hex digits of the sha256 of the public key's SPKI DER encoding. */
  readonly keyId: string;
  readonly publicKeyPem: string;
  /** Where the private key is, for messages (never a secret): "key file /x.pem", "PKCS#11 token …". */
  readonly origin: string;
  /** An ed25519 signature over `bytes`. */
  sign(bytes: Uint8Array): Promise<Buffer>;
  /** Releases what the signer holds open (a token session); a key file holds nothing. */
  close?(): Promise<void>;
}

/** A key-file signer: the private key in this process's memory, kept out of the object (and so of any log). */
export function signingKeyFromPem(pem: string, origin: string): Signer {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${origin}: not a PEM private key (${(err as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${origin}: signing key must be ed25519, got ${privateKey.asymmetricKeyType}`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    origin,
    sign: (bytes) => Promise.resolve(sign(null, bytes, privateKey)),
  };
}

export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return sha256Hex(key.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

/** Reads an ed25519 private key file; undefined when it does not exist. */
export async function readKeyFile(file: string): Promise<Signer | undefined> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return signingKeyFromPem(pem, `key file ${file}`);
}

/**
 * Creates a new ed25519 key file (mode 0600, its folder 0700). Never overwrites: an existing file is an
 * error (EEXIST), because replacing a signing key by accident loses the store's signer. Called only by
 * `evidence-hub keys init|rotate` and the demo; a worker never creates keys.
 */
export async function createKeyFile(file: string, pem: string = generateSigningKeyPem()): Promise<Signer> {
  const key = signingKeyFromPem(pem, `key file ${file}`);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // 'wx': two processes initialising at once must not overwrite each other's fresh key.
  await writeFile(file, pem, { mode: 0o600, flag: 'wx' });
  return key;
}

export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function verifyBytes(publicKeyPem: string, bytes: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, bytes, createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}
