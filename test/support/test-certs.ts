import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Certificates for the TLS tests, made with the openssl command line the way an operator would: a CA, a
 * server certificate for a DNS name (never the loopback address, so the server name is always checked),
 * and client certificates, among them an expired one (`openssl ca` is the only 3.0 tool that takes an
 * explicit validity window).
 */
export interface CertPair {
  cert: string;
  key: string;
}

export interface TestCa {
  dir: string;
  name: string;
  cert: string;
  key: string;
}

const openssl = async (args: string[], cwd: string) => {
  await run('openssl', args, { cwd });
};

export async function makeCa(dir: string, name: string): Promise<TestCa> {
  const caDir = path.join(dir, name);
  await mkdir(caDir, { recursive: true });
  const ca = { dir: caDir, name, cert: path.join(caDir, 'ca.pem'), key: path.join(caDir, 'ca.key') };
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      ca.key,
      '-out',
      ca.cert,
      '-days',
      '3',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    caDir,
  );
  await writeFile(path.join(caDir, 'index.txt'), '');
  await writeFile(path.join(caDir, 'serial'), '1000\n');
  await writeFile(
    path.join(caDir, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = local',
      '[ local ]',
      `database = ${path.join(caDir, 'index.txt')}`,
      `new_certs_dir = ${caDir}`,
      `serial = ${path.join(caDir, 'serial')}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      'copy_extensions = none',
      '[ any ]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  return ca;
}

export interface IssueOptions {
  /** Server certificate for this DNS name; a client certificate when absent. */
  dnsName?: string;
  /** An explicit validity window (YYYYMMDDHHMMSSZ), e.g. one in the past for an expired certificate. */
  startDate?: string;
  endDate?: string;
}

/** Issues a certificate signed by `ca` into `<ca dir>/<name>.pem` and `<name>.key`. */
export async function issue(ca: TestCa, name: string, options: IssueOptions = {}): Promise<CertPair> {
  const pair = { cert: path.join(ca.dir, `${name}.pem`), key: path.join(ca.dir, `${name}.key`) };
  const csr = path.join(ca.dir, `${name}.csr`);
  const ext = path.join(ca.dir, `${name}.ext`);
  await openssl(
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      pair.key,
      '-out',
      csr,
      '-subj',
      `/CN=${name}`,
    ]),
    ca.dir,
  );
  await writeFile(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      options.dnsName ? 'extendedKeyUsage=serverAuth' : 'extendedKeyUsage=clientAuth',
      ...(options.dnsName ? [`subjectAltName=DNS:${options.dnsName}`] : []),
      '',
    ].join('\n'),
  );
  await openssl(
    ['ca', '-batch', '-notext', '-config', path.join(ca.dir, 'ca.cnf'), '-cert', ca.cert, '-keyfile', ca.key]
      .concat(['-in', csr, '-out', pair.cert, '-extfile', ext])
      .concat(options.startDate ? ['-startdate', options.startDate] : [])
      .concat(options.endDate ? ['-enddate', options.endDate] : ['-days', '2']),
    ca.dir,
  );
  return pair;
}
