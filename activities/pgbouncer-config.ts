// PgBouncer's [databases] entries, read and rewritten in its ini file: only the host and port
// of the named entries change, every other byte of the file stays as it was.
import fs from 'node:fs';
import path from 'node:path';

export interface Endpoint {
  host: string;
  port: number;
}

export interface DatabaseEntry {
  name: string;
  /** The file that holds it: the main file or one it includes. */
  file: string;
}

const SECTION = /^\s*\[([^\]]+)\]\s*$/;
const INCLUDE = /^\s*%include\s+(.+?)\s*$/;

function entryPattern(name: string): RegExp {
  // A quoted name ("my db" = ...) or a bare one.
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(\\s*(?:"${escaped}"|${escaped})\\s*=\\s*)(.*)$`);
}

function withEndpoint(connstr: string, to: Endpoint): string {
  let out = connstr;
  for (const [key, value] of [['host', to.host], ['port', String(to.port)]] as const) {
    const re = new RegExp(`(^|\\s)${key}\\s*=\\s*('(?:[^'\\\\]|\\\\.)*'|\\S*)`);
    out = re.test(out) ? out.replace(re, `$1${key}=${value}`) : `${out} ${key}=${value}`.trim();
  }
  return out;
}

/** The files PgBouncer reads: its main file and those it %includes, in order. */
function configFiles(mainFile: string, seen = new Set<string>()): string[] {
  if (seen.has(mainFile)) return [];
  seen.add(mainFile);
  const files = [mainFile];
  for (const line of fs.readFileSync(mainFile, 'utf8').split('\n')) {
    const m = INCLUDE.exec(line);
    if (m) files.push(...configFiles(path.resolve(path.dirname(mainFile), m[1]), seen));
  }
  return files;
}

/**
 * Calls visit with each line of a [databases] section that defines one of the names, and
 * returns the text with each such line replaced by what visit returns.
 */
function mapEntries(text: string, names: string[], visit: (name: string, prefix: string, connstr: string) => string): string {
  let section = '';
  return text
    .split('\n')
    .map((line) => {
      const s = SECTION.exec(line);
      if (s) section = s[1].trim().toLowerCase();
      if (section !== 'databases') return line;
      for (const name of names) {
        const m = entryPattern(name).exec(line);
        if (m) return visit(name, m[1], m[2]);
      }
      return line;
    })
    .join('\n');
}

/** Each named entry of the [databases] sections, with the file that holds it; missing ones are absent. */
export function findDatabaseEntries(mainFile: string, names: string[]): Map<string, DatabaseEntry> {
  const found = new Map<string, DatabaseEntry>();
  for (const file of configFiles(mainFile)) {
    mapEntries(fs.readFileSync(file, 'utf8'), names, (name, prefix, connstr) => {
      if (!found.has(name)) found.set(name, { name, file });
      return prefix + connstr;
    });
  }
  return found;
}

/** Points the named entries at another server. Returns the files it changed. */
export function repointDatabaseEntries(mainFile: string, names: string[], to: Endpoint): string[] {
  const changed: string[] = [];
  for (const file of new Set([...findDatabaseEntries(mainFile, names).values()].map((e) => e.file))) {
    const before = fs.readFileSync(file, 'utf8');
    const after = mapEntries(before, names, (_name, prefix, connstr) => prefix + withEndpoint(connstr, to));
    if (after !== before) {
      // Written in place, so the file keeps its owner and mode.
      fs.writeFileSync(file, after);
      changed.push(file);
    }
  }
  return changed;
}
