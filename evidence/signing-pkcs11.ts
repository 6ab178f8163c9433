import { createPublicKey, verify } from 'node:crypto';
import type * as Pkcs11 from 'pkcs11js';
import { SigningKeyError } from '../core/errors';
import type { Pkcs11SigningConfig } from './signing-config';
import { keyIdOf, type Signer } from './signing';

/**
 * A Signer whose ed25519 private key stays on a PKCS#11 token (HSM, smart card, SoftHSM, a cloud KMS's
 * PKCS#11 bridge): signing is CKM_EDDSA on the token, only the public key and the signatures leave it.
 * Binding: the `pkcs11js` npm package (an optional dependency, native: it builds with node-gyp at install).
 * The PIN goes from its secret reference straight to C_Login; it is never kept, printed or put in argv.
 */

// PKCS#11 3.0 values; pkcs11js 2.1 does not export names for the Edwards-curve mechanisms.
const CKM_EDDSA = 0x1057;
const CKK_EC_EDWARDS = 0x40;
const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
const CKR_USER_ALREADY_LOGGED_IN = 0x100;
/** DER of the ed25519 curve as CKA_EC_PARAMS: the OID 1.3.101.112, or the printable string "edwards25519". */
const ED25519_PARAMS = ['06032b6570', `130c${Buffer.from('edwards25519').toString('hex')}`];
/** SPKI DER prefix of an ed25519 public key; the raw 32 bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

type Binding = typeof Pkcs11;

function loadBinding(): Binding {
  try {
    // Loaded only when a PKCS#11 signer is configured: a host without the native build can still use key files.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('pkcs11js') as Binding;
  } catch (err) {
    throw new SigningKeyError(
      `signing.pkcs11 needs the npm package pkcs11js, which is not installed or did not build (${(err as Error).message.split('\n')[0]}); install python3, make and a C++ compiler, then run npm ci again`,
    );
  }
}

/** One initialised library per module path: PKCS#11 allows one C_Initialize per process and library. */
const libraries = new Map<string, { lib: Pkcs11.PKCS11; users: number }>();

function openLibrary(pk: Binding, module: string): Pkcs11.PKCS11 {
  const open = libraries.get(module);
  if (open) {
    open.users++;
    return open.lib;
  }
  const lib = new pk.PKCS11();
  try {
    lib.load(module);
  } catch (err) {
    throw new SigningKeyError(`signing.pkcs11.module: cannot load ${module} (${(err as Error).message})`);
  }
  try {
    lib.C_Initialize();
  } catch (err) {
    if (codeOf(err) !== CKR_CRYPTOKI_ALREADY_INITIALIZED) throw pkcs11Failure(`C_Initialize of ${module}`, err);
  }
  libraries.set(module, { lib, users: 1 });
  return lib;
}

function closeLibrary(module: string): void {
  const open = libraries.get(module);
  if (!open || --open.users > 0) return;
  libraries.delete(module);
  try {
    open.lib.C_Finalize();
  } catch {
    // Finalising is best effort: the process is letting go of the token either way.
  }
}

const codeOf = (err: unknown): number | undefined => (err as { code?: unknown }).code as number | undefined;

/** pkcs11js errors carry the CKR_ name as their message; never anything the caller passed in (the PIN). */
function pkcs11Failure(what: string, err: unknown): SigningKeyError {
  return new SigningKeyError(`PKCS#11 ${what} failed: ${(err as Error).message}`);
}

/** Opens the token, logs in, finds the key pair by label and proves with a test signature that they match. */
export async function openPkcs11Signer(config: Pkcs11SigningConfig, pin: string): Promise<Signer> {
  const pk = loadBinding();
  const lib = openLibrary(pk, config.module);
  const where = `PKCS#11 token "${config.tokenLabel}"`;
  let session: Pkcs11.Handle | undefined;
  try {
    const slots = lib.C_GetSlotList(true);
    const labels = slots.map((s) => ({ slot: s, label: lib.C_GetTokenInfo(s).label.trim() }));
    const slot = labels.find((l) => l.label === config.tokenLabel)?.slot;
    if (!slot)
      throw new SigningKeyError(
        `${where} not found in ${config.module} (tokens present: ${labels.map((l) => `"${l.label}"`).join(', ') || 'none'}); check signing.pkcs11.tokenLabel`,
      );
    session = lib.C_OpenSession(slot, pk.CKF_SERIAL_SESSION);
    try {
      lib.C_Login(session, pk.CKU_USER, pin);
    } catch (err) {
      const code = codeOf(err);
      if (code === pk.CKR_PIN_INCORRECT)
        throw new SigningKeyError(`${where}: the PIN from signing.pkcs11.pin was rejected (CKR_PIN_INCORRECT)`);
      if (code !== CKR_USER_ALREADY_LOGGED_IN) throw pkcs11Failure(`login to ${where}`, err);
    }
    const privateKey = findOne(pk, lib, session, pk.CKO_PRIVATE_KEY, config.keyLabel, where);
    const [type] = lib.C_GetAttributeValue(session, privateKey, [{ type: pk.CKA_KEY_TYPE }]);
    // CK_ULONG in the platform's (little-endian on every supported host) byte order.
    if (!type?.value || type.value.length < 4 || type.value.readUInt32LE(0) !== CKK_EC_EDWARDS)
      throw new SigningKeyError(`${where}: key "${config.keyLabel}" is not an Edwards-curve (ed25519) key`);
    const publicKeyPem = readPublicKey(pk, lib, session, config.keyLabel, where);
    const origin = `${where} key "${config.keyLabel}" (${config.module})`;
    const signer = pkcs11Signer(lib, session, privateKey, publicKeyPem, origin, () => {
      closeSession(lib, session!);
      closeLibrary(config.module);
    });
    // A private and a public object under one label that are not a pair would sign bundles nobody can verify.
    const probe = Buffer.from(`evidence-hub signer check ${origin}`);
    if (!verify(null, probe, createPublicKey(publicKeyPem), await signer.sign(probe)))
      throw new SigningKeyError(`${where}: the private and public key labelled "${config.keyLabel}" are not a pair`);
    return signer;
  } catch (err) {
    if (session !== undefined) closeSession(lib, session);
    closeLibrary(config.module);
    if (err instanceof SigningKeyError) throw err;
    throw pkcs11Failure(`opening ${where}`, err);
  }
}

function findOne(
  pk: Binding,
  lib: Pkcs11.PKCS11,
  session: Pkcs11.Handle,
  cls: number,
  label: string,
  where: string,
): Pkcs11.Handle {
  lib.C_FindObjectsInit(session, [
    { type: pk.CKA_CLASS, value: cls },
    { type: pk.CKA_LABEL, value: label },
  ]);
  const found = lib.C_FindObjects(session, 2);
  lib.C_FindObjectsFinal(session);
  const what = cls === pk.CKO_PRIVATE_KEY ? 'private' : 'public';
  if (found.length === 0)
    throw new SigningKeyError(`${where} has no ${what} key labelled "${label}"; check signing.pkcs11.keyLabel`);
  if (found.length > 1)
    throw new SigningKeyError(`${where} has several ${what} keys labelled "${label}"; give the key a unique label`);
  return found[0]!;
}

/** The public key object's CKA_EC_POINT (a DER OCTET STRING of the 32 raw bytes, or the raw bytes) as PEM. */
function readPublicKey(pk: Binding, lib: Pkcs11.PKCS11, session: Pkcs11.Handle, label: string, where: string): string {
  const handle = findOne(pk, lib, session, pk.CKO_PUBLIC_KEY, label, where);
  const [point, params] = lib.C_GetAttributeValue(session, handle, [
    { type: pk.CKA_EC_POINT },
    { type: pk.CKA_EC_PARAMS },
  ]);
  if (!params?.value || !ED25519_PARAMS.includes(params.value.toString('hex')))
    throw new SigningKeyError(`${where}: key "${label}" is not on curve ed25519 (ed448 and others are not supported)`);
  const raw =
    point?.value?.length === 34 && point.value[0] === 0x04 && point.value[1] === 0x20
      ? point.value.subarray(2)
      : point?.value;
  if (!raw || raw.length !== 32) throw new SigningKeyError(`${where}: key "${label}" has no ed25519 public point`);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

function pkcs11Signer(
  lib: Pkcs11.PKCS11,
  session: Pkcs11.Handle,
  privateKey: Pkcs11.Handle,
  publicKeyPem: string,
  origin: string,
  release: () => void,
): Signer {
  // A PKCS#11 session runs one operation at a time: signatures queue up behind each other.
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  const signOnce = (bytes: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) => {
      if (closed) return reject(new Error(`${origin}: the signer is closed`));
      try {
        lib.C_SignInit(session, { mechanism: CKM_EDDSA }, privateKey);
        lib.C_Sign(session, Buffer.from(bytes), Buffer.alloc(64), (err, signature) =>
          err ? reject(new Error(`${origin}: C_Sign failed: ${err.message}`)) : resolve(Buffer.from(signature)),
        );
      } catch (err) {
        reject(new Error(`${origin}: signing failed: ${(err as Error).message}`));
      }
    });
  return {
    keyId: keyIdOf(publicKeyPem),
    publicKeyPem,
    origin,
    sign(bytes) {
      const next = queue.then(() => signOnce(bytes));
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      if (closed) return;
      await queue;
      closed = true;
      release();
    },
  };
}

function closeSession(lib: Pkcs11.PKCS11, session: Pkcs11.Handle): void {
  try {
    lib.C_CloseSession(session);
  } catch {
    // Already gone (the token was removed or the library finalised): nothing left to release.
  }
}
