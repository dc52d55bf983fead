// The bluegreen commands: each takes parsed arguments and a Temporal client, and returns
// what to print (text for people, an object for --json).
import fs from 'node:fs';
import path from 'node:path';
import { ScheduleOverlapPolicy, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { InputErrors, validateInput, type UpgradeInput } from '../workflows/input';
import { statusQuery, type UpgradeStatus } from '../workflows/messages';
import { blueGreenUpgrade } from '../workflows';
import type { TemporalSettings } from '../worker/config';
import { renderStatus } from './progress';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Output {
  text: string;
  json: unknown;
}

export interface Context {
  client: Client;
  settings: TemporalSettings;
}

export interface CheckedInput {
  file: string;
  /** As written: the workflow gets it so, and fills in its defaults itself. */
  raw: unknown;
  input: UpgradeInput;
}

/** Reads a JSON or YAML input file and checks it as the workflow will, before anything starts. */
export function readInput(file: string): CheckedInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
  try {
    return { file, raw, input: validateInput(raw) };
  } catch (err) {
    if (err instanceof InputErrors) throw new UsageError(`${path.basename(file)}: ${err.problems.join('; ')}`);
    throw err;
  }
}

function workflowLink(ctx: Context, workflowId: string): string {
  return `${ctx.settings.uiUrl}/namespaces/${encodeURIComponent(ctx.settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function summary(input: UpgradeInput): string {
  return `Upgrade ${input.blue.instanceId} to ${input.green.upgradePath.at(-1)} as ${input.green.instanceId}`;
}

export async function start(ctx: Context, checked: CheckedInput, workflowId?: string): Promise<Output> {
  const { raw, input } = checked;
  const id = workflowId ?? `bluegreen-${input.blue.instanceId}-to-${input.green.instanceId}`;
  const handle = await ctx.client.workflow.start(blueGreenUpgrade, {
    taskQueue: ctx.settings.taskQueue,
    workflowId: id,
    args: [raw],
    staticSummary: summary(input),
    staticDetails: `BLUE ${input.blue.instanceId} → GREEN ${input.green.instanceId} (${input.green.upgradePath.join(' → ')})`,
  });
  const link = workflowLink(ctx, id);
  return {
    text: `started ${id}\n${link}\nnext: bluegreen status ${id} --watch`,
    json: { workflowId: id, runId: handle.firstExecutionRunId, link },
  };
}

export async function status(ctx: Context, workflowId: string): Promise<Output> {
  const s = await ctx.client.workflow.getHandle(workflowId).query(statusQuery);
  return { text: renderStatus(workflowId, s), json: s };
}

/** Polls the status until the upgrade ends, redrawing it as it changes. */
export async function watch(ctx: Context, workflowId: string, onUpdate: (s: UpgradeStatus) => void, intervalMs = 2000): Promise<UpgradeStatus> {
  for (;;) {
    const s = await ctx.client.workflow.getHandle(workflowId).query(statusQuery);
    onUpdate(s);
    if (s.outcome) return s;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Sends a message as an update: the sender learns at once whether it applies, and why not. */
export async function send(ctx: Context, workflowId: string, message: 'approveCutover' | 'approveRollback' | 'finalize' | 'abort' | 'setStartLsn' | 'trafficSwitched', arg?: string): Promise<Output> {
  try {
    const handle = ctx.client.workflow.getHandle(workflowId);
    const answer = arg === undefined ? await handle.executeUpdate<string, []>(message) : await handle.executeUpdate<string, [string]>(message, { args: [arg] });
    return { text: answer, json: { workflowId, message, accepted: true, answer } };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new UsageError(err.cause?.message ?? err.message);
    throw err;
  }
}

export async function list(ctx: Context): Promise<Output> {
  const rows: Array<{ workflowId: string; status: string; startTime: string }> = [];
  for await (const w of ctx.client.workflow.list({ query: "WorkflowType = 'blueGreenUpgrade'" })) {
    rows.push({ workflowId: w.workflowId, status: w.status.name, startTime: w.startTime.toISOString() });
    if (rows.length >= 200) break;
  }
  const text = rows.length === 0 ? 'no upgrades' : rows.map((r) => `${r.startTime}  ${r.status.padEnd(11)}  ${r.workflowId}`).join('\n');
  return { text, json: rows };
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;

export interface ScheduleSpecArgs {
  /** Local date and time, "YYYY-MM-DD HH:MM". */
  at: string;
  timeZone: string;
}

/** A Temporal Schedule that starts the upgrade once, at a calendar time in a time zone. */
export async function scheduleCreate(ctx: Context, scheduleId: string, checked: CheckedInput, spec: ScheduleSpecArgs): Promise<Output> {
  const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/.exec(spec.at);
  if (!match) throw new UsageError(`--at ${JSON.stringify(spec.at)}: write the local time as "YYYY-MM-DD HH:MM"`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: spec.timeZone });
  } catch {
    throw new UsageError(`--time-zone ${JSON.stringify(spec.timeZone)} is not an IANA time zone like Europe/Berlin`);
  }
  const [, year, month, day, hour, minute] = match.map(Number);
  if (month < 1 || month > 12) throw new UsageError(`--at ${JSON.stringify(spec.at)}: there is no month ${month}`);
  const handle = await ctx.client.schedule.create({
    scheduleId,
    spec: { calendars: [{ year, month: MONTHS[month - 1], dayOfMonth: day, hour, minute }], timezone: spec.timeZone },
    action: {
      type: 'startWorkflow',
      workflowType: blueGreenUpgrade,
      workflowId: scheduleId,
      taskQueue: ctx.settings.taskQueue,
      args: [checked.raw],
      staticSummary: summary(checked.input),
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    // The upgrade runs once; the schedule stays for the record until deleted.
    state: { remainingActions: 1, note: `bluegreen upgrade at ${spec.at} ${spec.timeZone}` },
  });
  const description = await handle.describe();
  const next = description.info.nextActionTimes[0]?.toISOString();
  return { text: `scheduled ${scheduleId}: starts at ${spec.at} ${spec.timeZone}${next ? ` (${next})` : ''}`, json: { scheduleId, nextActionTime: next } };
}

export async function scheduleList(ctx: Context): Promise<Output> {
  const rows: Array<{ scheduleId: string; nextActionTime?: string; note?: string }> = [];
  for await (const s of ctx.client.schedule.list()) {
    rows.push({ scheduleId: s.scheduleId, nextActionTime: s.info.nextActionTimes[0]?.toISOString(), note: s.state.note });
  }
  const text = rows.length === 0 ? 'no schedules' : rows.map((r) => `${r.scheduleId}  next: ${r.nextActionTime ?? 'none'}  ${r.note ?? ''}`).join('\n');
  return { text, json: rows };
}

export async function scheduleDelete(ctx: Context, scheduleId: string): Promise<Output> {
  await ctx.client.schedule.getHandle(scheduleId).delete();
  return { text: `deleted schedule ${scheduleId}`, json: { scheduleId, deleted: true } };
}
