// The bluegreen CLI against the dev server and running upgrades (stand-in activities: the
// CLI's concern is the messages, not the databases).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { NativeConnection, Worker } from '@temporalio/worker';
import { errorLine, main } from '../client/main';
import { fakeActivities } from './helpers/fake-activities';
import { uniqueTaskQueue, workflowsPath } from './helpers/temporal';

const run = promisify(execFile);
const taskQueue = uniqueTaskQueue('cli');
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let dir: string;

beforeAll(async () => {
  process.env.TEMPORAL_TASK_QUEUE = taskQueue;
  connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  worker = await Worker.create({ connection, taskQueue, workflowsPath, activities: fakeActivities() });
  running = worker.run();
  dir = fs.mkdtempSync(path.join(process.env.RDS_BLUEGREEN_TEST_DIR!, 'cli-'));
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
});

/** Runs a command in this process; returns its exit code and output, or the error line. */
async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  try {
    const code = await main(argv, (text) => lines.push(text));
    return { code, out: lines.join('\n') };
  } catch (err) {
    return { code: 1, out: errorLine(err) };
  }
}

function inputFile(name: string, green: string, extra = ''): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `# an upgrade of the orders database
blue:
  instanceId: orders
  database: app
  adminUser: master
  adminPassword: { env: BLUE_PASSWORD }
green:
  instanceId: ${green}
  upgradePath: ["17.10"]
replication:
  password: { env: REPLICATION_PASSWORD }
appUsers: [app_rw]
pollMinutes: 0.01
${extra}`,
  );
  return file;
}

async function waitForText(id: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { out } = await cli('status', id);
    if (pattern.test(out)) return out;
    if (Date.now() > deadline) throw new Error(`status of ${id} never matched ${pattern}: ${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('bluegreen', () => {
  it('starts an upgrade from YAML, shows it, approves, watches and finalizes it', async () => {
    const started = await cli('start', inputFile('upgrade.yaml', 'orders-green'), '--id', 'cli-upgrade');
    expect(started.code).toBe(0);
    expect(started.out).toMatch(/^started cli-upgrade\nhttp:\/\/.*\/namespaces\/default\/workflows\/cli-upgrade/);
    const waiting = await waitForText('cli-upgrade', /waiting for approveCutover/);
    expect(waiting).toMatch(/✓ restoreGreen/);
    expect(waiting).toMatch(/start LSN 0\/200DC61/);
    const json = JSON.parse((await cli('status', 'cli-upgrade', '--json')).out);
    expect(json).toMatchObject({ phase: 'awaitApproval', serving: 'blue', waitingFor: { from: 'operator' } });

    expect(await cli('rollback', 'cli-upgrade')).toEqual({ code: 1, out: expect.stringMatching(/^bluegreen: approveRollback refused: there is nothing to roll back before cutover/) });
    expect(await cli('lsn', 'cli-upgrade', 'zz')).toEqual({ code: 1, out: expect.stringMatching(/is not an LSN/) });
    expect(await cli('approve', 'cli-upgrade')).toEqual({ code: 0, out: 'cutover approved' });
    const watched = cli('status', 'cli-upgrade', '--watch', '--json');
    await waitForText('cli-upgrade', /rollback window open/);
    expect(await cli('abort', 'cli-upgrade')).toEqual({ code: 1, out: expect.stringMatching(/abort is refused once cutover has begun/) });
    expect(JSON.parse((await cli('finalize', 'cli-upgrade', '--json')).out)).toMatchObject({ accepted: true, answer: 'finalize approved' });
    const final = await watched;
    expect(final.code).toBe(0);
    expect(JSON.parse(final.out.split('\n').at(-1)!)).toMatchObject({ outcome: 'finalized', serving: 'green' });
  });

  it('aborts an upgrade, lists upgrades, and refuses bad input before starting anything', async () => {
    await cli('start', inputFile('other.json.yaml', 'orders-other'), '--id', 'cli-abort');
    await waitForText('cli-abort', /waiting for approveCutover/);
    expect(await cli('abort', 'cli-abort', '--reason', 'not this week')).toEqual({ code: 0, out: expect.stringMatching(/aborting/) });
    await waitForText('cli-abort', /^cli-abort: aborted/);
    const listed = JSON.parse((await cli('list', '--json')).out) as Array<{ workflowId: string }>;
    expect(listed.map((w) => w.workflowId)).toEqual(expect.arrayContaining(['cli-upgrade', 'cli-abort']));

    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ blue: { instanceId: 'x--y' }, green: { instanceId: 'g', upgradePath: ['17'] } }));
    const refused = await cli('start', bad, '--id', 'never-started');
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/^bluegreen: bad.json: blue.instanceId: "x--y" must be/);
    expect(refused.out).not.toContain('\n');
    expect((await cli('status', 'never-started')).out).toMatch(/^bluegreen: no such upgrade/);
    expect(await cli('frobnicate')).toEqual({ code: 1, out: expect.stringMatching(/unknown command frobnicate/) });
  });

  it('creates, lists and deletes a schedule that starts an upgrade at a local time', async () => {
    const file = inputFile('scheduled.yaml', 'orders-later');
    expect((await cli('schedule', 'create', 'orders-sat', file, '--at', 'next saturday', '--time-zone', 'Europe/Berlin')).out).toMatch(/--at "next saturday": write the local time/);
    expect((await cli('schedule', 'create', 'orders-sat', file, '--at', '2099-12-05 02:30', '--time-zone', 'Mars/Olympus')).out).toMatch(/not an IANA time zone/);
    const created = JSON.parse((await cli('schedule', 'create', 'orders-sat', file, '--at', '2099-12-05 02:30', '--time-zone', 'Europe/Berlin', '--json')).out);
    // 02:30 in Berlin in December is 01:30 UTC.
    expect(created).toEqual({ scheduleId: 'orders-sat', nextActionTime: '2099-12-05T01:30:00.000Z' });
    const deadline = Date.now() + 30_000;
    let listed: Array<{ scheduleId: string }> = [];
    while (!listed.some((s) => s.scheduleId === 'orders-sat') && Date.now() < deadline) {
      listed = JSON.parse((await cli('schedule', 'list', '--json')).out);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(listed.map((s) => s.scheduleId)).toContain('orders-sat');
    expect(await cli('schedule', 'delete', 'orders-sat')).toEqual({ code: 0, out: 'deleted schedule orders-sat' });
  });

  it('runs as the bluegreen bin with --help, --json and one-line errors', async () => {
    const bin = path.join(__dirname, '..', 'client', 'bluegreen.cjs');
    const help = await run('node', [bin, 'schedule', '--help']);
    expect(help.stdout).toMatch(/example: bluegreen schedule create/);
    const status = await run('node', [bin, 'status', 'cli-upgrade', '--json'], { env: process.env });
    expect(JSON.parse(status.stdout).outcome).toBe('finalized');
    const failed = await run('node', [bin, 'approve', 'no-such-upgrade'], { env: process.env }).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  });
});
