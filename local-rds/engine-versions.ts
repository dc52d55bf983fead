// The engine versions the local RDS can run: one minor of each installed major, as the
// setup found them, and the upgrade targets between them.
import { postgresInstall, toolchain } from '../lib/toolchain';
import { invalidCombination } from './errors';

export interface EngineVersion {
  major: number;
  /** major.minor, as RDS spells PostgreSQL versions */
  version: string;
  binDir: string;
}

export function engineVersions(): EngineVersion[] {
  return toolchain()
    .postgres.map((p) => ({ major: p.major, version: p.version.split(' ')[0], binDir: p.binDir }))
    .sort((a, b) => a.major - b.major);
}

/** "17" or "17.10" to the installed version; anything else is an error naming what exists. */
export function resolveEngineVersion(requested: string | undefined): EngineVersion {
  const versions = engineVersions();
  if (requested === undefined || requested === '') return versions[0];
  const found = versions.find((v) => v.version === requested || String(v.major) === requested);
  if (!found) {
    throw invalidCombination(
      `Cannot find version ${requested} for postgres. Versions available here: ${versions.map((v) => v.version).join(', ')}.`,
    );
  }
  return found;
}

/** Valid upgrade targets: every installed version of a higher major. */
export function upgradeTargets(from: EngineVersion): EngineVersion[] {
  return engineVersions().filter((v) => v.major > from.major);
}

export function binDirFor(major: number): string {
  return postgresInstall(major).binDir;
}
