// TLS as RDS serves it: every instance of a local RDS presents a server certificate signed
// by one CA of that state directory, made once with openssl, for the names the instances
// are reached by (127.0.0.1, as their endpoints say, and localhost). The CA's certificate is
// the bundle clients verify with, as RDS's global-bundle.pem is on AWS.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The files of a CA and of one server certificate it signed. */
export interface CertificateSet {
  /** The CA's certificate: the bundle clients are given. */
  caFile: string;
  /** The server's certificate and its private key (PEM, unencrypted). */
  certFile: string;
  keyFile: string;
}

/** Names a local RDS instance is reached by: its endpoint's address, and localhost. */
export const LOCAL_NAMES = ['127.0.0.1', 'localhost'];

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('openssl is not installed, and the local RDS needs it to make the certificates its instances serve TLS with: install it (apt-get install openssl)', { cause: err });
    }
    throw new Error(`openssl ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

/**
 * Makes a new CA and a server certificate it signs for `names` (IP addresses and DNS names,
 * in subjectAltName) in `dir`, which must not exist yet: the files appear all at once.
 */
export async function makeCertificates(dir: string, options: { caName: string; names: string[] }): Promise<CertificateSet> {
  const work = `${dir}.tmp-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true, mode: 0o700 });
  try {
    const isIp = (name: string) => net.isIP(name) !== 0;
    const altNames = options.names.map((n) => (isIp(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    const serverName = options.names.find((n) => !isIp(n)) ?? options.names[0];
    // A configuration of its own, so that the system's openssl.cnf adds nothing.
    fs.writeFileSync(
      path.join(work, 'openssl.cnf'),
      `[req]
distinguished_name = dn
prompt = no
[dn]
CN = ${options.caName}
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${altNames}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`,
    );
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl(['req', '-x509', '-new', '-config', 'openssl.cnf', '-extensions', 'ca', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650'], work);
    await openssl(['req', '-new', '-config', 'openssl.cnf', '-subj', `/CN=${serverName}`, ...key, '-keyout', 'server.key', '-out', 'server.csr'], work);
    await openssl(
      ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${crypto.randomBytes(12).toString('hex')}`,
        '-days', '825', '-extfile', 'openssl.cnf', '-extensions', 'server', '-out', 'server.crt'],
      work,
    );
    for (const file of ['server.csr', 'openssl.cnf']) fs.rmSync(path.join(work, file));
    for (const file of ['ca.key', 'server.key']) fs.chmodSync(path.join(work, file), 0o600);
    fs.chmodSync(path.join(work, 'ca.pem'), 0o644);
    fs.chmodSync(path.join(work, 'server.crt'), 0o644);
    fs.chmodSync(work, 0o755);
    fs.renameSync(work, dir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return certificateSet(dir);
}

function certificateSet(dir: string): CertificateSet {
  return { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key') };
}

/** The CA and server certificate of a local RDS state directory, made on its first start. */
export async function localRdsCertificates(stateDir: string): Promise<CertificateSet> {
  const dir = path.join(stateDir, 'tls');
  const set = certificateSet(dir);
  if (Object.values(set).every((file) => fs.existsSync(file))) return set;
  fs.rmSync(dir, { recursive: true, force: true });
  return makeCertificates(dir, { caName: `rds-bluegreen local RDS CA (${path.basename(stateDir)})`, names: LOCAL_NAMES });
}
