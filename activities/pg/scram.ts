// A role's password sent as a SCRAM-SHA-256 verifier, computed here, so that the plain
// password never appears in a statement that log_statement = 'ddl' would write to the log.
import crypto from 'node:crypto';

const ITERATIONS = 4096;

/** The verifier PostgreSQL itself would store, or undefined when the password needs SASLprep (non-ASCII). */
export function scramVerifier(password: string): string | undefined {
  if (!/^[\x20-\x7e]*$/.test(password)) return undefined;
  const salt = crypto.randomBytes(16);
  const salted = crypto.pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => crypto.createHmac('sha256', key).update(text).digest();
  const storedKey = crypto.createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
