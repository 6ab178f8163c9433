import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodeCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  storeIdOf,
  verifyCheckpoint,
  type Checkpoint,
} from '../../evidence/checkpoint';
import { fingerprintOf } from '../../evidence/trust/fingerprint';
import { newKey } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const key = newKey();
const cp: Checkpoint = {
  storeId: storeIdOf(Buffer.from('manifest one')),
  sequence: 42,
  head: 'a'.repeat(64),
  time: '2026-05-01T12:00:00.000Z',
  keyId: key.keyId,
  fingerprint: fingerprintOf(key.publicKeyPem),
};

describe('signed checkpoints', () => {
  it('encode to the documented six LF-terminated lines and parse back', () => {
    const body = encodeCheckpoint(cp).toString('utf8');
    expect(body).toBe(
      [
        'evidence-hub checkpoint v1',
        `store ${cp.storeId}`,
        'sequence 42',
        `head ${'a'.repeat(64)}`,
        'time 2026-05-01T12:00:00.000Z',
        `key ${key.keyId} sha256:${cp.fingerprint}`,
        '',
      ].join('\n'),
    );
    expect(parseCheckpoint(body)).toEqual(cp);
  });

  it('parse refuses anything but the canonical form', () => {
    const body = encodeCheckpoint(cp).toString('utf8');
    for (const bad of [
      body.replace(/\n/g, '\r\n'),
      body.slice(0, -1),
      body + 'extra\n',
      body.replace('sequence 42', 'sequence 042'),
      body.replace('sequence 42', 'sequence 0'),
      body.replace('v1', 'v2'),
      body.replace(`head ${'a'.repeat(64)}`, `head ${'A'.repeat(64)}`),
      body.replace('time 2026-05-01T12:00:00.000Z', 'time yesterday'),
      body.replace('sequence 42\nhead', 'head').replace(/\nhead .*\n/, '\nsequence 42\n'),
    ])
      expect(() => parseCheckpoint(bad)).toThrow();
  });

  it('the signature is raw ed25519 over the exact body, checkable with openssl alone', async () => {
    const { body, signature } = await signCheckpoint(key, cp);
    expect(signature).toHaveLength(64);
    expect(verifyCheckpoint(body, signature, key.publicKeyPem)).toBe(true);
    expect(verifyCheckpoint(Buffer.from(body.toString().replace('42', '43')), signature, key.publicKeyPem)).toBe(false);
    expect(verifyCheckpoint(body, signature, newKey().publicKeyPem)).toBe(false);
    await expect(signCheckpoint(newKey(), cp)).rejects.toThrow(/names key/);

    const dir = await tempDir();
    await writeFile(path.join(dir, 'cp.txt'), body);
    await writeFile(path.join(dir, 'cp.sig'), signature);
    await writeFile(path.join(dir, 'pub.pem'), key.publicKeyPem);
    const r = spawnSync(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-in', 'cp.txt', '-sigfile', 'cp.sig'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(r.stdout.trim()).toBe('Signature Verified Successfully');
    // The fingerprint in the key line is the one openssl computes (design: sha256 of the raw 32-byte key).
    const fp = spawnSync('sh', ['-c', 'openssl pkey -pubin -in pub.pem -outform DER | tail -c 32 | sha256sum'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(fp.stdout.split(' ')[0]).toBe(cp.fingerprint);
  });
});
