// Checks on the names the activities are given, before any of them reaches a server:
// PostgreSQL would silently truncate a long identifier, and refuses odd slot names late.
import { ApplicationFailure } from '@temporalio/common';

const MAX_IDENTIFIER_BYTES = 63;

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'InvalidInput');
}

/** Any spelling is allowed (it is always quoted); empty, NUL and over-long names are not. */
export function checkIdentifier(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${what} must be a non-empty string`);
  if (value.includes('\0')) throw invalid(`${what} ${JSON.stringify(value)} contains a NUL character`);
  if (Buffer.byteLength(value) > MAX_IDENTIFIER_BYTES) {
    throw invalid(`${what} ${JSON.stringify(value)} is longer than ${MAX_IDENTIFIER_BYTES} bytes, which PostgreSQL would truncate: choose a shorter name`);
  }
  return value;
}

export function checkSlotName(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z0-9_]{1,63}$/.test(value)) {
    throw invalid(`slot name ${JSON.stringify(value)} is invalid: PostgreSQL allows only lower-case letters, digits and underscores, at most 63 of them`);
  }
  return value;
}

/** Application login roles: never a system role, so that no upgrade locks out RDS or PostgreSQL itself. */
export function checkLoginRoles(value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid('roles must be a list of role names');
  const roles = value.map((r, i) => checkIdentifier(r, `roles[${i}]`));
  const system = roles.filter((r) => /^(rds|pg_)/i.test(r));
  if (system.length > 0) {
    throw invalid(`roles ${system.map((r) => JSON.stringify(r)).join(', ')} are system roles (rds* or pg_*): list only the application's own login roles`);
  }
  return [...new Set(roles)];
}

