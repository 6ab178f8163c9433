import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

/**
 * Runs the pack's check script the way VERIFY.md tells an auditor to: the script quoted in VERIFY.md (which
 * must be byte for byte the pack's verify.sh), in a clean environment with only /usr/bin and /bin on the
 * PATH, given the trusted fingerprint.
 */
export async function runPackScript(root: string, fingerprint: string, ...extra: string[]) {
  const doc = await readFile(path.join(root, 'VERIFY.md'), 'utf8');
  const quoted = /```sh\n(#!\/bin\/sh\n# verify-pack[\s\S]*?)```/.exec(doc)![1]!;
  expect(quoted).toBe(await readFile(path.join(root, 'verify.sh'), 'utf8'));
  const r = spawnSync('env', ['-i', 'PATH=/usr/bin:/bin', 'sh', 'verify.sh', fingerprint, ...extra], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const scriptOk =
  /\nOK: keys, export\.json, checkpoints, signatures, chain and blobs verified against sha256:[0-9a-f]{64}\n$/;
