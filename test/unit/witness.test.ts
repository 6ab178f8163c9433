import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { children, decode, decodeOid, integerMagnitude } from '../../evidence/witness/der';
import { witnessChecks, witnessConfigSchema, WitnessOptionError } from '../../evidence/witness/config';
import { buildTimestampRequest, parseTimestampReply } from '../../evidence/witness/tsa';
import { pendingSummary, renderPendingSummary } from '../../evidence/witness/state';

describe('RFC 3161 request encoding', () => {
  it('is a v1 TimeStampReq over sha256 of the body with a fresh nonce and certReq', () => {
    const a = buildTimestampRequest(Buffer.from('checkpoint'));
    const b = buildTimestampRequest(Buffer.from('checkpoint'));
    const [version, imprint, nonce, certReq] = children(decode(a.der));
    expect(version!.value).toEqual(Buffer.from([1]));
    const [alg, hashed] = children(imprint!);
    expect(decodeOid(children(alg!)[0]!)).toBe('2.16.840.1.101.3.4.2.1');
    expect(hashed!.value.toString('hex')).toBe(createHash('sha256').update('checkpoint').digest('hex'));
    expect(hashed!.value.equals(a.imprint)).toBe(true);
    expect(integerMagnitude(nonce!).equals(a.nonce)).toBe(true);
    expect(certReq!.value).toEqual(Buffer.from([0xff]));
    expect(a.nonce.equals(b.nonce)).toBe(false);
  });

  it('refuses a reply that is not DER', () => {
    expect(() => parseTimestampReply(Buffer.from('<html>busy</html>'))).toThrow();
  });
});

describe('witness config', () => {
  it('needs retainDays for the S3 witness and a URL for the TSA', () => {
    expect(witnessConfigSchema.safeParse({ s3: { bucket: 'witness-bucket' } }).success).toBe(false);
    expect(witnessConfigSchema.safeParse({ tsa: { url: 'not a url' } }).success).toBe(false);
    const ok = witnessConfigSchema.parse({ tsa: { url: 'http://tsa.example/' }, s3: { bucket: 'wb1', retainDays: 7 } });
    expect(ok.s3).toMatchObject({ prefix: '', region: 'us-east-1', retainDays: 7 });
  });

  it('verify options: --witness tsa needs no config, --witness s3 does, unknown names are refused', async () => {
    expect(await witnessChecks(undefined, '/', [])).toBeUndefined();
    expect(await witnessChecks(undefined, '/', ['tsa'])).toEqual({ tsa: {} });
    expect(await witnessChecks(undefined, '/x', [], 'ca.pem')).toEqual({
      tsa: { caFile: expect.stringMatching(/ca\.pem$/) },
    });
    await expect(witnessChecks(undefined, '/', ['s3'])).rejects.toThrow(WitnessOptionError);
    await expect(witnessChecks(undefined, '/', ['slack'])).rejects.toThrow(/expected tsa or s3/);
  });
});

describe('pending witness report', () => {
  it('names the count, the oldest pending sequence and the last error', () => {
    const lines = renderPendingSummary(
      pendingSummary({
        format: 'evidence-hub/witness-state@1',
        updatedAt: '2026-06-02T00:00:00.000Z',
        tsa: { pending: [4, 5], doneThrough: 3, lastError: { at: '2026-06-02T00:00:00.000Z', message: 'HTTP 503' } },
        s3: { pending: [], doneThrough: 5, newestWitnessed: 5 },
      }),
    );
    expect(lines[0]).toMatch(/^witness tsa: 2 checkpoint\(s\) pending, oldest #4; last error .*HTTP 503/);
    expect(lines[1]).toMatch(/^witness s3: all checkpoints witnessed/);
  });
});
