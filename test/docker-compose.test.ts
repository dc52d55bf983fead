// docker-compose.yml as far as it can be checked without a Docker engine: it parses, and its
// services, ports and environment agree with what the code uses.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_TASK_QUEUE, temporalSettings } from '../worker/config';

const root = path.join(__dirname, '..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'));

describe('docker-compose.yml', () => {
  it('runs the Temporal server on the ports the code expects by default', () => {
    const temporal = compose.services.temporal;
    expect(temporal.image).toBe('temporalio/temporal:1.5.1');
    expect(temporal.ports).toEqual(expect.arrayContaining(['127.0.0.1:7233:7233', '127.0.0.1:8233:8233']));
    // The CLI and worker defaults point at that server.
    const defaults = temporalSettings({});
    expect(defaults.connectionOptions.address).toMatch(/:7233$/);
    expect(defaults.uiUrl).toMatch(/:8233$/);
  });

  it('runs the stack with the setup and entry point the project has, reaching Temporal by service name', () => {
    const stack = compose.services.stack;
    expect(stack.command.join(' ')).toMatch(/node scripts\/setup\.cjs && exec npx tsx demo\/start\.ts/);
    for (const file of ['scripts/setup.cjs', 'demo/start.ts']) expect(fs.existsSync(path.join(root, file))).toBe(true);
    expect(stack.environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(stack.environment.TEMPORAL_TASK_QUEUE).toBe(DEFAULT_TASK_QUEUE);
    expect(stack.depends_on.temporal.condition).toBe('service_healthy');
    // Every variable it sets is one the code reads.
    const sources = ['scripts/setup.cjs', 'demo/start.ts', 'worker/config.ts'].map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\n');
    for (const name of Object.keys(stack.environment)) expect(sources).toContain(name);
    for (const part of String(stack.environment.BLUEGREEN_SETUP_SKIP).split(',')) expect(sources).toMatch(new RegExp(`SKIP\\.has\\('${part}'\\)|skip: '${part}'`));
  });

  it('declares every volume it mounts', () => {
    const named = Object.values(compose.services as Record<string, { volumes?: string[] }>)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0])
      .filter((v) => !v.startsWith('.') && !v.startsWith('/'));
    for (const volume of named) expect(Object.keys(compose.volumes)).toContain(volume);
  });
});
