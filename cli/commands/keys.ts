import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../../config/config';
import {
  createKeyFile,
  generateSigningKeyPem,
  keyIdOf,
  readKeyFile,
  signingKeyFromPem,
  type Signer,
} from '../../evidence/signing';
import type { EvidenceStore } from '../../evidence/store';
import { fingerprintOf, formatFingerprint } from '../../evidence/trust/fingerprint';
import { replaceLostKey } from '../../evidence/trust/replace-lost';
import { rotateKey } from '../../evidence/trust/rotate';
import { resolveStoreTrust } from '../../evidence/trust/store-trust';
import { initSigningKey, loadSigningKey, openStore, signingKeyFile } from '../../worker/hub';
import { configOption, storeOption, storeOverrides, UsageError, type CommandContext } from '../command-kit';

/**
 * `evidence-hub keys init|show|rotate`: the only way a store's signing key comes into being or changes.
 * Workers never create, register or rotate keys (issue #14: two workers with their own keys used to close
 * each other's keys until every bundle failed verification while every sweep reported success).
 */
export function registerKeys(program: Command, { io }: CommandContext): void {
  const keys = program
    .command('keys')
    .description("the store's signing key: init, show (fingerprints to pin), rotate, replace-lost");

  keys
    .command('init')
    .description('create the key file of signing.key (mode 0600, never overwritten) and register it in the store')
    .addOption(configOption())
    .addOption(storeOption())
    .action(async (o) => {
      const { config, store } = await open(o);
      const r = await initSigningKey(config, store);
      await closeAll(r.key);
      const fp = formatFingerprint(fingerprintOf(r.key.publicKeyPem));
      if (r.created) io.out(`created key file ${r.file} (mode 0600): back it up and keep it private`);
      io.out(
        r.registered
          ? `registered key ${r.key.keyId} as the current signing key of ${store.location}`
          : `key ${r.key.keyId} is already the current signing key of ${store.location}; nothing changed`,
      );
      io.out(`fingerprint: ${fp}`);
      io.out(`pin it outside the store, in the config (signing: { trustedKeys: ["${fp}"] }) and for auditors:`);
      io.out(`  evidence-hub verify ${store.location} --trust ${fp}`);
    });

  keys
    .command('show')
    .description("the store's keys: fingerprint, keyId, validity, which is current, which the config trusts")
    .addOption(configOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const { config, store } = await open(o);
      const report = await showKeys(config, store);
      if (o.json) {
        io.out(JSON.stringify(report, null, 2));
        return;
      }
      io.out(`store: ${report.store}`);
      io.out(
        report.local
          ? `this host's key: ${report.local.keyId} ${formatFingerprint(report.local.fingerprint)}${report.local.current ? ' (the current key)' : ' (NOT the store current key: this host cannot seal)'}`
          : `this host's key: ${report.localProblem}`,
      );
      if (report.keys.length === 0) io.out('no key registered: run `evidence-hub keys init`');
      for (const k of report.keys) {
        const flags = [k.current ? 'current' : '', k.trust, k.keyIdMatches ? '' : 'KEY-ID-MISMATCH'].filter(Boolean);
        io.out(
          `${k.keyId}  ${formatFingerprint(k.fingerprint)}  ${k.validFrom} .. ${k.validUntil ?? 'now'}  ${flags.join(', ')}`,
        );
      }
      for (const p of report.problems) io.out(`  ${p.code}: ${p.message}`);
      if (report.pinned.length === 0)
        io.out('signing.trustedKeys is not set: pin the current fingerprint there (and give it to your auditors)');
    });

  keys
    .command('rotate')
    .description('rotate to a new key: transition statement signed by the old key, countersigned by the new one')
    .option('--new-key <file>', 'the new ed25519 private key (PEM); default: generate one next to the current key file')
    .option(
      '--new-config <file>',
      "the config the workers will use after the rotation: its signing section names the new key (a key file or a PKCS#11 token's key)",
    )
    .addOption(configOption())
    .addOption(storeOption())
    .action(async (o) => {
      const { config, store } = await open(o);
      if (o.newKey && o.newConfig)
        throw new UsageError('give the new key with --new-key or with --new-config, not both');
      const oldKey = await loadSigningKey(config);
      let newFile: string;
      let newKey: Signer | undefined;
      if (o.newConfig) {
        // The new key may be on a token (or the old one is): it signs through the same Signer interface.
        const next = await loadConfig(path.resolve(o.newConfig), storeOverrides(o));
        newKey = await loadSigningKey(next);
        newFile = next.file;
      } else if (o.newKey) {
        newFile = path.resolve(o.newKey);
        newKey = await readKeyFile(newFile);
        if (!newKey) throw new UsageError(`--new-key ${newFile} does not exist`);
      } else {
        const oldFile = signingKeyFile(config);
        if (!oldFile)
          throw new UsageError(
            'the current key is not a key file (an environment variable or a PKCS#11 token): pass the new key with --new-key FILE or --new-config FILE',
          );
        const pem = generateSigningKeyPem();
        const id = keyIdOf(signingKeyFromPem(pem, 'new key').publicKeyPem);
        newFile = path.join(path.dirname(oldFile), `${path.basename(oldFile, '.pem')}-${id}.pem`);
        newKey = await createKeyFile(newFile, pem);
        io.out(`created key file ${newFile} (mode 0600): back it up and keep it private`);
      }
      const t = await rotateKey(store, oldKey, newKey).finally(() => closeAll(oldKey, newKey));
      io.out(`rotated ${store.location}: ${t.from.keyId} -> ${t.to.keyId} from ${t.validFrom}`);
      io.out(`  keys/transitions/${t.to.keyId}.json signed by ${t.from.keyId}, countersigned by ${t.to.keyId}`);
      io.out(`  ${t.from.keyId} is closed at ${t.validFrom}; it can no longer seal`);
      io.out(`new fingerprint: ${formatFingerprint(t.to.fingerprint)}`);
      io.out(
        o.newConfig
          ? `next: give every worker the signing section of ${newFile} and restart them; pins of the old fingerprint keep verifying through the transition`
          : `next: point signing.key at ${newFile} on every worker and restart them; pins of the old fingerprint keep verifying through the transition`,
      );
    });

  registerReplaceLost(keys, io);
}

/** A PKCS#11 signer holds a token session open; a command lets it go when it is done. */
async function closeAll(...signers: (Signer | undefined)[]): Promise<void> {
  for (const s of signers) await s?.close?.();
}

/**
 * `keys replace-lost --lost <keyId>`: the private key is gone and no backup exists. The configured key
 * (created like `keys init` when it is a missing file) becomes current without a transition statement: a
 * lost key cannot endorse anyone, so every auditor has to pin the new fingerprint out of band.
 */
function registerReplaceLost(keys: Command, io: CommandContext['io']): void {
  keys
    .command('replace-lost')
    .description(
      'the current private key is lost (no backup): register the configured key without an endorsement; pin it anew',
    )
    .requiredOption('--lost <keyId>', 'the keyId of the lost key (evidence-hub keys show), as a confirmation')
    .addOption(configOption())
    .addOption(storeOption())
    .action(async (o) => {
      const { config, store } = await open(o);
      const file = signingKeyFile(config);
      const existing = file !== undefined ? await readKeyFile(file) : await loadSigningKey(config);
      const key = existing ?? (await createKeyFile(file!));
      if (!existing) io.out(`created key file ${file} (mode 0600): back it up and keep it private`);
      try {
        const r = await replaceLostKey(store, o.lost, key);
        const fp = formatFingerprint(fingerprintOf(key.publicKeyPem));
        io.out(`registered key ${key.keyId} as the current signing key of ${store.location} from ${r.validFrom}`);
        io.out(
          `  ${o.lost} is closed at ${r.validFrom}; NO transition statement: a lost key cannot endorse its successor`,
        );
        io.out(`new fingerprint: ${fp}`);
        io.out(
          `next: pin it out of band, NEXT TO the old pin (signing.trustedKeys and every auditor's --trust); bundles sealed before ${r.validFrom} keep verifying with the old pin, later ones only with the new`,
        );
      } finally {
        await closeAll(key);
      }
    });
}

async function open(o: { config: string; store?: string }): Promise<{ config: LoadedConfig; store: EvidenceStore }> {
  const config = await loadConfig(o.config, storeOverrides(o));
  return { config, store: await openStore(config.store, config.baseDir) };
}

export interface KeysReport {
  store: string;
  pinned: string[];
  local?: { keyId: string; fingerprint: string; current: boolean } | undefined;
  localProblem?: string | undefined;
  keys: {
    keyId: string;
    fingerprint: string;
    validFrom: string;
    validUntil?: string | undefined;
    current: boolean;
    keyIdMatches: boolean;
    /** 'trusted (pinned)', 'trusted (endorsed by <keyId>)', 'not trusted', or 'no pins' */
    trust: string;
  }[];
  problems: { code: string; message: string }[];
}

export async function showKeys(config: LoadedConfig, store: EvidenceStore): Promise<KeysReport> {
  const pinned = config.signing.trustedKeys ?? [];
  const records = await store.listKeys();
  const trust = await resolveStoreTrust(store, pinned);
  const currentIds = new Set(records.filter((k) => k.validUntil === undefined).map((k) => k.keyId));
  let local: KeysReport['local'];
  let localProblem: string | undefined;
  try {
    const key = await loadSigningKey(config);
    await closeAll(key);
    local = { keyId: key.keyId, fingerprint: fingerprintOf(key.publicKeyPem), current: currentIds.has(key.keyId) };
  } catch (err) {
    localProblem = (err as Error).message;
  }
  return {
    store: store.location,
    pinned: pinned.map(formatFingerprint),
    local,
    localProblem,
    keys: records.map((k) => {
      const fingerprint = safeFingerprint(k.publicKeyPem);
      const t = trust.trusted.get(fingerprint);
      return {
        keyId: k.keyId,
        fingerprint,
        validFrom: k.validFrom,
        ...(k.validUntil !== undefined ? { validUntil: k.validUntil } : {}),
        current: currentIds.has(k.keyId),
        keyIdMatches: trust.candidates.some((c) => c.keyId === k.keyId && c.publicKeyPem === k.publicKeyPem),
        trust:
          pinned.length === 0
            ? 'no pins'
            : t
              ? t.via === 'pinned'
                ? 'trusted (pinned)'
                : `trusted (endorsed by ${t.via})`
              : 'NOT TRUSTED',
      };
    }),
    problems: trust.problems.map((p) => ({ code: p.code, message: p.message })),
  };
}

function safeFingerprint(pem: string): string {
  try {
    return fingerprintOf(pem);
  } catch {
    return '(not an ed25519 public key)';
  }
}
