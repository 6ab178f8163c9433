import { execFile } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's SoftHSM (package softhsm2); .ci/run installs it with opensc (pkcs11-tool). */
export const softhsmModule = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  /** The softhsm2.conf to put in SOFTHSM2_CONF: its tokens live in the test's own folder. */
  conf: string;
  label: string;
  pin: string;
  /** Generates an ed25519 key pair on the token, the way an HSM administrator would. */
  generateEd25519(keyLabel: string, id: string): Promise<void>;
}

/**
 * A fresh SoftHSM token in `dir` (never the machine's own token folder). SoftHSM reads SOFTHSM2_CONF when the
 * library is initialised, so a test that signs in-process sets it before the first PKCS#11 signer opens.
 */
export async function createSoftHsmToken(dir: string, label = 'evidence-hub', pin = '270361'): Promise<SoftHsmToken> {
  for (const tool of [softhsmModule, '/usr/bin/softhsm2-util', '/usr/bin/pkcs11-tool'])
    await access(tool).catch(() => {
      throw new Error(`${tool} is missing: apt-get install softhsm2 opensc (.ci/run installs them)`);
    });
  const tokens = path.join(dir, 'tokens');
  await mkdir(tokens, { recursive: true });
  const conf = path.join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', `${pin}0`, '--pin', pin], {
    env,
  });
  return {
    conf,
    label,
    pin,
    async generateEd25519(keyLabel, id) {
      await run(
        'pkcs11-tool',
        [
          ...['--module', softhsmModule, '--token-label', label, '--login', '--pin', pin],
          ...['--keypairgen', '--key-type', 'EC:edwards25519', '--label', keyLabel, '--id', id],
        ],
        { env },
      );
    },
  };
}
