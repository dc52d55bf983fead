// TLS from the worker to BLUE and GREEN. The settings are the worker's, not the workflow
// input's: the CA bundle is a file on the worker's host.
//
//   BLUEGREEN_PG_SSLMODE      disable | require | verify-full, as libpq's sslmode
//   BLUEGREEN_PG_SSLROOTCERT  the CA bundle (PEM) that verify-full checks server certificates
//                             with; for RDS https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
//
// The mode defaults to verify-full when a bundle is given, else to disable: a worker that
// was never told about TLS connects as before, and an RDS instance that refuses it
// (rds.force_ssl = 1) gets an error that says to set the bundle.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

export const SSL_MODES = ['disable', 'require', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const SSLMODE_VAR = 'BLUEGREEN_PG_SSLMODE';
export const SSLROOTCERT_VAR = 'BLUEGREEN_PG_SSLROOTCERT';
export const RDS_CA_BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

export interface PgTls {
  mode: SslMode;
  /** verify-full: the bundle's path (for messages) and its certificates, read at worker start. */
  rootCert?: { path: string; pem: string; certificates: number };
}

export const NO_TLS: PgTls = { mode: 'disable' };

/** A setting the worker cannot start with; the message names the variable and the fix. */
export class PgTlsSettingError extends Error {
  override name = 'PgTlsSettingError';
}

/** Reads a PEM CA bundle, refusing a file that is missing, unreadable or holds no certificate. */
export function readCaBundle(file: string, variable = SSLROOTCERT_VAR): { path: string; pem: string; certificates: number } {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read by the worker (permission denied)' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new PgTlsSettingError(`${variable}=${file} ${why}: give the path of a CA bundle in PEM format (for RDS, download ${RDS_CA_BUNDLE_URL})`);
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new PgTlsSettingError(`${variable}=${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA bundle itself (for RDS, ${RDS_CA_BUNDLE_URL})`);
  }
  blocks.forEach((block, i) => {
    try {
      new crypto.X509Certificate(block);
    } catch (err) {
      throw new PgTlsSettingError(`${variable}=${file}: certificate ${i + 1} of ${blocks.length} cannot be parsed (${(err as Error).message}): give an intact CA bundle (for RDS, ${RDS_CA_BUNDLE_URL})`);
    }
  });
  return { path: file, pem, certificates: blocks.length };
}

/** The worker's TLS settings from its environment, checked before anything connects. */
export function pgTlsFromEnv(env: NodeJS.ProcessEnv = process.env): PgTls {
  const rawMode = env[SSLMODE_VAR]?.trim();
  const rootCertPath = env[SSLROOTCERT_VAR]?.trim();
  if (rawMode && !(SSL_MODES as readonly string[]).includes(rawMode)) {
    throw new PgTlsSettingError(`${SSLMODE_VAR}=${rawMode} is not a mode the worker knows: use one of ${SSL_MODES.join(', ')}`);
  }
  const mode: SslMode = (rawMode as SslMode | undefined) || (rootCertPath ? 'verify-full' : 'disable');
  if (mode === 'verify-full') {
    if (!rootCertPath) {
      throw new PgTlsSettingError(`${SSLMODE_VAR}=verify-full needs ${SSLROOTCERT_VAR}: set it to the path of the CA bundle that signed the servers' certificates (for RDS, download ${RDS_CA_BUNDLE_URL})`);
    }
    return { mode, rootCert: readCaBundle(rootCertPath) };
  }
  if (rootCertPath) {
    throw new PgTlsSettingError(
      `${SSLROOTCERT_VAR} is set but ${SSLMODE_VAR}=${mode} would not use it: set ${SSLMODE_VAR}=verify-full (or leave it unset) to verify the servers with that bundle, or unset ${SSLROOTCERT_VAR}`,
    );
  }
  return { mode };
}

/** One line for the worker's start message. */
export function describePgTls(tls: PgTls): string {
  if (tls.mode === 'verify-full') return `verify-full with ${tls.rootCert!.certificates} CA certificate(s) from ${tls.rootCert!.path}`;
  if (tls.mode === 'require') return 'require (encrypted, server certificates not verified)';
  return 'disable (no TLS)';
}

/** node-postgres's `ssl` option for a connection to `host`. */
export function clientSsl(tls: PgTls): false | ConnectionOptions {
  if (tls.mode === 'disable') return false;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  // node-postgres passes the host to tls.connect (and as servername when it is a name, not
  // an address), whose default checkServerIdentity then checks the certificate's names.
  return { ca: tls.rootCert!.pem, rejectUnauthorized: true };
}

// Node's codes for a certificate chain that does not lead to a trusted CA.
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

/**
 * What to fix when a connection failed for a TLS reason, or undefined when the failure is
 * something else (a password, a host that does not answer).
 */
export function explainTlsFailure(err: unknown, tls: PgTls, target: { host: string; port: number }): string | undefined {
  const e = err as Error & { code?: string };
  const where = `${target.host}:${target.port}`;
  const bundle = tls.rootCert ? `${SSLROOTCERT_VAR}=${tls.rootCert.path}` : SSLROOTCERT_VAR;
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server certificate of ${where} is not for the name ${target.host} (${e.message}): connect by a name the certificate holds (for RDS, the instance's endpoint address, not an IP address or a DNS alias of your own)`;
  }
  if (e.code && UNTRUSTED.has(e.code)) {
    return `the server certificate of ${where} is not signed by a CA in ${bundle} (${e.code}): give the bundle of the CA that signed it (for RDS, ${RDS_CA_BUNDLE_URL})`;
  }
  if (e.code === 'CERT_HAS_EXPIRED' || e.code === 'CERT_NOT_YET_VALID') {
    return `the server certificate of ${where} is not valid now (${e.code}): renew it (on RDS, rotate the instance's certificate authority), or fix this host's clock`;
  }
  if (e.message === 'The server does not support SSL connections') {
    const off = tls.rootCert ? `unset ${SSLROOTCERT_VAR} and ${SSLMODE_VAR}` : `set ${SSLMODE_VAR}=disable`;
    return `${where} does not offer TLS, and ${SSLMODE_VAR}=${tls.mode} requires it: turn ssl on at that server, or ${off} to connect without TLS`;
  }
  if (tls.mode === 'disable' && e.code === '28000' && /no encryption/.test(e.message)) {
    return `${where} refuses connections without TLS (on RDS, rds.force_ssl = 1): set ${SSLROOTCERT_VAR} to the servers' CA bundle (for RDS, ${RDS_CA_BUNDLE_URL}), which turns on verify-full`;
  }
  return undefined;
}

/**
 * The sslmode for a connection string that one server uses to reach another (a
 * subscription's). That connection is made by the server's libpq, not by the worker, and
 * the server has no copy of the worker's CA bundle: it can encrypt but not verify. So a
 * worker that requires TLS asks for sslmode=require there, which refuses a fallback to
 * plain text; a worker without TLS leaves libpq's default (prefer: TLS when offered).
 */
export function subscriptionSslMode(tls: PgTls): 'require' | undefined {
  return tls.mode === 'disable' ? undefined : 'require';
}
