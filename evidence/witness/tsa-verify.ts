import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseTimestampReply, timestampMismatch } from './tsa';

/**
 * Checks a stored RFC 3161 token over its checkpoint body. Two layers:
 * - always, in JS: the reply grants a time stamp and its message imprint is sha256(body), so a token
 *   copied from another checkpoint (or over another digest) is caught even without the TSA's CA;
 * - with the TSA's CA certificate: the very command an auditor runs,
 *   `openssl ts -verify -data <body> -in <tsr> -CAfile <ca>`, which checks the TSA's signature, its
 *   certificate chain and the timeStamping key usage. This needs `openssl` on PATH (documented).
 */
export type TokenCheck = { ok: true; genTime: string; signatureChecked: boolean } | { ok: false; reason: string };

export async function checkTimestampToken(body: Buffer, tsr: Buffer, caFile?: string): Promise<TokenCheck> {
  let genTime: string;
  try {
    const reply = parseTimestampReply(tsr);
    const mismatch = timestampMismatch(reply, body);
    if (mismatch) return { ok: false, reason: mismatch };
    genTime = reply.token!.genTime;
  } catch (err) {
    return { ok: false, reason: `the token is not a readable RFC 3161 reply (${(err as Error).message})` };
  }
  if (!caFile) return { ok: true, genTime, signatureChecked: false };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-tsr-'));
  try {
    await writeFile(path.join(dir, 'body'), body);
    await writeFile(path.join(dir, 'token.tsr'), tsr);
    const result = await opensslVerify(path.join(dir, 'body'), path.join(dir, 'token.tsr'), caFile);
    return result === undefined ? { ok: true, genTime, signatureChecked: true } : { ok: false, reason: result };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Undefined when OpenSSL says "Verification: OK"; otherwise its reason. */
function opensslVerify(data: string, tsr: string, caFile: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile(
      'openssl',
      ['ts', '-verify', '-data', data, '-in', tsr, '-CAfile', caFile],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(new Error('checking RFC 3161 tokens against a CA needs `openssl` on PATH (OpenSSL 1.1 or 3)'));
          return;
        }
        if (!err && /Verification: OK/.test(stdout)) resolve(undefined);
        else {
          const why = `${stdout}\n${stderr}`
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith('Using configuration'))
            .slice(0, 3)
            .join(' / ');
          resolve(`openssl ts -verify failed: ${why || 'no reason given'}`);
        }
      },
    );
  });
}
