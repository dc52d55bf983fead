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
  file: string;
  /** The entry's connection string, e.g. "host=10.0.0.5 port=5432 dbname=app". */
  connstr: string;
  params: Map<string, string>;
}

const SECTION = /^\s*\[([^\]]+)\]\s*$/;
const INCLUDE = /^\s*%include\s+(.+?)\s*$/;

function entryPattern(name: string): RegExp {
  // A quoted name ("my db" = ...) or a bare one.
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^(\\s*(?:"${escaped}"|${escaped})\\s*=\\s*)(.*)$`);
}

/** key=value pairs of a libpq-style connection string; values may be single-quoted. */
export function parseConnstr(connstr: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/g;
  for (let m = re.exec(connstr); m; m = re.exec(connstr)) {
    const raw = m[2];
    params.set(m[1].toLowerCase(), raw.startsWith("'") ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw);
  }
  return params;
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

/** Each named entry of the [databases] sections, with the file that holds it; missing ones are absent. */
export function findDatabaseEntries(mainFile: string, names: string[]): Map<string, DatabaseEntry> {
  const found = new Map<string, DatabaseEntry>();
  for (const file of configFiles(mainFile)) {
    let section = '';
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const s = SECTION.exec(line);
      if (s) section = s[1].trim().toLowerCase();
      if (section !== 'databases') continue;
      for (const name of names) {
        const m = entryPattern(name).exec(line);
        if (m && !found.has(name)) found.set(name, { name, file, connstr: m[2], params: parseConnstr(m[2]) });
      }
    }
  }
  return found;
}

/** Points the named entries at another server. Returns the files it changed. */
export function repointDatabaseEntries(mainFile: string, names: string[], to: Endpoint): string[] {
  const entries = findDatabaseEntries(mainFile, names);
  const changed: string[] = [];
  for (const file of new Set([...entries.values()].map((e) => e.file))) {
    const before = fs.readFileSync(file, 'utf8');
    let section = '';
    const after = before
      .split('\n')
      .map((line) => {
        const s = SECTION.exec(line);
        if (s) section = s[1].trim().toLowerCase();
        if (section !== 'databases') return line;
        for (const name of names) {
          const m = entryPattern(name).exec(line);
          if (m) return `${m[1]}${withEndpoint(m[2], to)}`;
        }
        return line;
      })
      .join('\n');
    if (after !== before) {
      // Written in place, so the file keeps its owner and mode.
      fs.writeFileSync(file, after);
      changed.push(file);
    }
  }
  return changed;
}
