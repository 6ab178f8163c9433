import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real RFC 3161 time-stamping authority on loopback: OpenSSL's own `openssl ts -reply` behind a small
 * HTTP wrapper (POST application/timestamp-query in, application/timestamp-reply out). It has its own CA
 * and a TSA certificate with extendedKeyUsage critical,timeStamping, so `openssl ts -verify -CAfile` works
 * against it exactly as an auditor would run it against a public TSA.
 */
export interface TsaServer {
  url: string;
  /** PEM of the CA that issued the TSA certificate (what `witness.tsa.caFile` points to). */
  caFile: string;
  /** The folder with the CA, TSA key and openssl config. */
  dir: string;
  /** Requests answered so far (a refused one does not count). */
  readonly issued: number;
  /** While true, every request gets HTTP 503 (an outage). */
  refuse(on: boolean): void;
  stop(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd, timeout: 60_000 });
}

/** Makes a CA and a TSA certificate signed by it, and the `[tsa]` section `openssl ts -reply` reads. */
async function makeAuthority(dir: string): Promise<string> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3',
      '-subj',
      '/CN=evidence-hub test TSA CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await openssl(['req', ...ec, '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=evidence-hub test TSA'], dir);
  await writeFile(
    path.join(dir, 'tsa-ext.cnf'),
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n',
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'tsa.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'tsa.crt',
      '-days',
      '3',
      '-extfile',
      'tsa-ext.cnf',
    ],
    dir,
  );
  await writeFile(path.join(dir, 'serial'), '01\n');
  const config = path.join(dir, 'tsa.cnf');
  await writeFile(
    config,
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `dir = ${dir}`,
      'serial = $dir/serial',
      'crypto_device = builtin',
      'signer_cert = $dir/tsa.crt',
      'certs = $dir/ca.crt',
      'signer_key = $dir/tsa.key',
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'ordering = no',
      'tsa_name = yes',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  return config;
}

export async function startTsa(): Promise<TsaServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-tsa-'));
  const config = await makeAuthority(dir);
  let refusing = false;
  let issued = 0;
  let counter = 0;
  // openssl increments the serial file in place: one reply at a time.
  let queue: Promise<unknown> = Promise.resolve();

  const reply = async (query: Buffer): Promise<Buffer> => {
    const n = ++counter;
    const q = path.join(dir, `q${n}.tsq`);
    const r = path.join(dir, `r${n}.tsr`);
    await writeFile(q, query);
    try {
      await openssl(['ts', '-reply', '-config', config, '-queryfile', q, '-out', r], dir);
      return await readFile(r);
    } finally {
      await rm(q, { force: true });
      await rm(r, { force: true });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (refusing) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('time-stamping service unavailable (test outage)');
      return;
    }
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('POST application/timestamp-query expected');
      return;
    }
    const job = queue.then(() => reply(Buffer.concat(chunks)));
    queue = job.catch(() => undefined);
    try {
      const body = await job;
      issued++;
      res.writeHead(200, { 'content-type': 'application/timestamp-reply', 'content-length': body.length }).end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end((err as Error).message);
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    caFile: path.join(dir, 'ca.crt'),
    dir,
    get issued() {
      return issued;
    },
    refuse(on) {
      refusing = on;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
