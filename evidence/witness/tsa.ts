import { createHash, randomBytes } from 'node:crypto';
import {
  boolean,
  children,
  decode,
  decodeOid,
  derNull,
  expectTag,
  integerMagnitude,
  octetString,
  oid,
  sequence,
  smallInteger,
  tags,
  unsignedInteger,
  type Element,
} from './der';

/**
 * RFC 3161 time-stamping of a checkpoint. The request is built here (no shelling out from the hub); the
 * reply is checked for status, nonce and message imprint and then stored whole as `checkpoints/<seq>.tsr`,
 * which is exactly what `openssl ts -verify -data <checkpoint body> -in <tsr> -CAfile <ca>` reads.
 */

const oids = {
  sha256: '2.16.840.1.101.3.4.2.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
};

export class TimestampError extends Error {
  override readonly name = 'TimestampError';
}

export interface TimestampRequest {
  der: Buffer;
  nonce: Buffer;
  imprint: Buffer;
}

/** TimeStampReq { version 1, messageImprint sha256(body), nonce (64 random bits), certReq TRUE }. */
export function buildTimestampRequest(body: Buffer): TimestampRequest {
  const imprint = createHash('sha256').update(body).digest();
  // A leading non-zero byte keeps the nonce's DER magnitude exactly these 8 bytes.
  const nonce = randomBytes(8);
  nonce[0] = nonce[0]! | 0x01;
  const der = sequence(
    smallInteger(1),
    sequence(sequence(oid(oids.sha256), derNull()), octetString(imprint)),
    unsignedInteger(nonce),
    boolean(true),
  );
  return { der, nonce, imprint };
}

/** What a TimeStampResp says, as far as the hub needs to know. */
export interface TimestampReply {
  /** PKIStatus: 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4 revocationWarning, 5 revocationNotification. */
  status: number;
  statusText?: string | undefined;
  token?: {
    hashAlgorithm: string;
    imprint: Buffer;
    nonce?: Buffer | undefined;
    genTime: string;
  };
}

/** Decodes a TimeStampResp down to the TSTInfo inside the token's SignedData. Throws on malformed DER. */
export function parseTimestampReply(der: Buffer): TimestampReply {
  const [statusInfo, token] = children(expectTag(decode(der), tags.sequence, 'TimeStampResp'));
  const [statusEl, ...rest] = children(expectTag(statusInfo, tags.sequence, 'PKIStatusInfo'));
  const status = integerMagnitude(expectTag(statusEl, tags.integer, 'PKIStatus')).readUIntBE(0, 1);
  const freeText = rest.find((e) => e.tag === tags.sequence);
  const statusText = freeText
    ? children(freeText)
        .map((t) => t.value.toString('utf8'))
        .join('; ')
    : undefined;
  if (!token) return { status, statusText };
  return { status, statusText, token: readTstInfo(token) };
}

function readTstInfo(contentInfo: Element): NonNullable<TimestampReply['token']> {
  const [type, explicit] = children(expectTag(contentInfo, tags.sequence, 'TimeStampToken'));
  if (decodeOid(expectTag(type, tags.oid, 'contentType')) !== oids.signedData)
    throw new TimestampError('time-stamp token is not CMS SignedData');
  const signedData = children(expectTag(explicit, 0xa0, 'content'))[0];
  const encap = children(expectTag(signedData, tags.sequence, 'SignedData'))[2];
  const [eType, eContent] = children(expectTag(encap, tags.sequence, 'encapContentInfo'));
  if (decodeOid(expectTag(eType, tags.oid, 'eContentType')) !== oids.tstInfo)
    throw new TimestampError('time-stamp token does not carry a TSTInfo');
  const octets = expectTag(children(expectTag(eContent, 0xa0, 'eContent'))[0], tags.octetString, 'eContent');
  const fields = children(expectTag(decode(octets.value), tags.sequence, 'TSTInfo'));
  const [algorithm, hashed] = children(expectTag(fields[2], tags.sequence, 'messageImprint'));
  const genTime = expectTag(fields[4], tags.generalizedTime, 'genTime').value.toString('ascii');
  // After genTime: accuracy (SEQUENCE) and ordering (BOOLEAN) are optional, then the optional nonce.
  const nonceEl = fields.slice(5).find((f) => f.tag === tags.integer);
  return {
    hashAlgorithm: decodeOid(children(expectTag(algorithm, tags.sequence, 'hashAlgorithm'))[0]!),
    imprint: Buffer.from(expectTag(hashed, tags.octetString, 'hashedMessage').value),
    nonce: nonceEl ? Buffer.from(integerMagnitude(nonceEl)) : undefined,
    genTime,
  };
}

/**
 * Checks that a reply grants a time stamp over exactly `body` (sha256 imprint) and, when given, answers
 * our nonce. Returns a reason when it does not; the signature itself is checked by `openssl ts -verify`.
 */
export function timestampMismatch(reply: TimestampReply, body: Buffer, nonce?: Buffer): string | undefined {
  if (reply.status !== 0 && reply.status !== 1)
    return `the TSA refused the request (status ${reply.status}${reply.statusText ? `: ${reply.statusText}` : ''})`;
  if (!reply.token) return 'the reply grants a time stamp but carries no token';
  if (reply.token.hashAlgorithm !== oids.sha256)
    return `the token uses hash algorithm ${reply.token.hashAlgorithm}, not sha256`;
  const imprint = createHash('sha256').update(body).digest();
  if (!reply.token.imprint.equals(imprint))
    return `the token is over sha256 ${reply.token.imprint.toString('hex').slice(0, 12)}…, not over this checkpoint (${imprint.toString('hex').slice(0, 12)}…)`;
  if (nonce && !(reply.token.nonce && reply.token.nonce.equals(nonce)))
    return 'the token does not answer our nonce (a replayed or foreign reply)';
  return undefined;
}

export interface TsaClientOptions {
  url: string;
  timeoutMs?: number;
  /** Replies larger than this are refused (a token with its certificate chain is a few KiB). */
  maxBytes?: number;
}

/** Asks the TSA for a time stamp over `body`; returns the whole TimeStampResp DER once it checks out. */
export async function requestTimestamp(body: Buffer, options: TsaClientOptions): Promise<Buffer> {
  const req = buildTimestampRequest(body);
  let res: Response;
  try {
    res = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: req.der,
      signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
    });
  } catch (err) {
    throw new TimestampError(`TSA ${options.url} unreachable: ${(err as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new TimestampError(`TSA ${options.url} answered HTTP ${res.status}`);
  }
  const der = Buffer.from(await res.arrayBuffer());
  if (der.length > (options.maxBytes ?? 1024 * 1024))
    throw new TimestampError(`TSA ${options.url} sent a ${der.length}-byte reply`);
  let reply: TimestampReply;
  try {
    reply = parseTimestampReply(der);
  } catch (err) {
    throw new TimestampError(`TSA ${options.url} sent an unreadable reply: ${(err as Error).message}`);
  }
  const problem = timestampMismatch(reply, body, req.nonce);
  if (problem) throw new TimestampError(`TSA ${options.url}: ${problem}`);
  return der;
}
