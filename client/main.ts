// bluegreen: start, watch, approve, roll back and schedule RDS blue/green upgrades.
// Every command has --help with an example and --json for scripts; an error is one line
// on stderr and a non-zero exit.
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporalSettings } from '../worker/config';
import * as commands from './commands';
import { renderStatus } from './progress';

const HELP: Record<string, string> = {
  start: `bluegreen start FILE [--id WORKFLOW_ID] [--json]
  Checks the upgrade input (JSON or YAML) and starts the upgrade.
  example: bluegreen start upgrade.yaml --id upgrade-orders-db`,
  status: `bluegreen status WORKFLOW_ID [--watch] [--json]
  The phases with their times, what the upgrade waits for, and the replication lag.
  example: bluegreen status upgrade-orders-db --watch`,
  approve: `bluegreen approve WORKFLOW_ID [--json]
  Approves the cutover; held until GREEN has caught up (and the maintenance window opens).
  example: bluegreen approve upgrade-orders-db`,
  rollback: `bluegreen rollback WORKFLOW_ID [--json]
  After cutover: moves the application back to BLUE, losing nothing.
  example: bluegreen rollback upgrade-orders-db`,
  finalize: `bluegreen finalize WORKFLOW_ID [--json]
  After cutover: keeps GREEN and ends reverse replication.
  example: bluegreen finalize upgrade-orders-db`,
  abort: `bluegreen abort WORKFLOW_ID [--reason TEXT] [--json]
  Before cutover: stops the upgrade and undoes what it made on BLUE and AWS.
  example: bluegreen abort upgrade-orders-db --reason "not this week"`,
  lsn: `bluegreen lsn WORKFLOW_ID X/Y [--json]
  Gives the first "redo done at X/Y" of GREEN's log when the upgrade cannot read it.
  example: bluegreen lsn upgrade-orders-db 0/200DC60`,
  switched: `bluegreen switched WORKFLOW_ID [--json]
  With traffic.strategy "manual": says the application now connects to the side that just opened.
  example: bluegreen switched upgrade-orders-db`,
  list: `bluegreen list [--json]
  The upgrades in the namespace.
  example: bluegreen list --json`,
  schedule: `bluegreen schedule create SCHEDULE_ID FILE --at "YYYY-MM-DD HH:MM" --time-zone ZONE [--json]
bluegreen schedule list [--json]
bluegreen schedule delete SCHEDULE_ID [--json]
  A Temporal Schedule that starts the upgrade at a local time, e.g. before a maintenance window.
  example: bluegreen schedule create orders-sat upgrade.yaml --at "2026-12-05 01:00" --time-zone Europe/Berlin`,
};

const USAGE = `usage: bluegreen COMMAND [ARGS] [--json] [--help]
commands: ${Object.keys(HELP).join(', ')}
Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_PROFILE (envconfig); task queue TEMPORAL_TASK_QUEUE.
run "bluegreen COMMAND --help" for an example`;

function need(value: string | undefined, what: string, command: string): string {
  if (!value) throw new commands.UsageError(`${command}: missing ${what} (bluegreen ${command} --help)`);
  return value;
}

export async function main(argv: string[], out: (text: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      watch: { type: 'boolean', default: false },
      id: { type: 'string' },
      reason: { type: 'string' },
      at: { type: 'string' },
      'time-zone': { type: 'string' },
    },
  });
  const [command, ...args] = positionals;
  if (!command) {
    out(USAGE);
    return values.help ? 0 : 2;
  }
  if (!HELP[command]) throw new commands.UsageError(`unknown command ${command}: use one of ${Object.keys(HELP).join(', ')}`);
  if (values.help) {
    out(HELP[command]);
    return 0;
  }
  // Check files before connecting: bad input never needs a server to be reported.
  const checked =
    command === 'start' ? commands.readInput(need(args[0], 'the input file', 'start'))
    : command === 'schedule' && args[0] === 'create' ? commands.readInput(need(args[2], 'the input file', 'schedule create'))
    : undefined;

  const settings = temporalSettings();
  const connection = await Connection.connect(settings.connectionOptions);
  try {
    const ctx = { client: new Client({ connection, namespace: settings.namespace, dataConverter: settings.dataConverter }), settings };
    const print = (o: commands.Output) => out(values.json ? JSON.stringify(o.json, null, 2) : o.text);
    switch (command) {
      case 'start':
        print(await commands.start(ctx, checked!, values.id));
        break;
      case 'status': {
        const id = need(args[0], 'the workflow id', 'status');
        if (!values.watch) {
          print(await commands.status(ctx, id));
          break;
        }
        const final = await commands.watch(ctx, id, (s) => {
          if (values.json) out(JSON.stringify(s));
          else out(`\x1b[2J\x1b[H${renderStatus(id, s)}`);
        });
        return final.outcome === 'failed' ? 1 : 0;
      }
      case 'approve':
        print(await commands.send(ctx, need(args[0], 'the workflow id', 'approve'), 'approveCutover'));
        break;
      case 'rollback':
        print(await commands.send(ctx, need(args[0], 'the workflow id', 'rollback'), 'approveRollback'));
        break;
      case 'finalize':
        print(await commands.send(ctx, need(args[0], 'the workflow id', 'finalize'), 'finalize'));
        break;
      case 'abort':
        print(await commands.send(ctx, need(args[0], 'the workflow id', 'abort'), 'abort', values.reason));
        break;
      case 'lsn':
        print(await commands.send(ctx, need(args[0], 'the workflow id', 'lsn'), 'setStartLsn', need(args[1], 'the LSN X/Y', 'lsn')));
        break;
      case 'switched':
        print(await commands.send(ctx, need(args[0], 'the workflow id', 'switched'), 'trafficSwitched'));
        break;
      case 'list':
        print(await commands.list(ctx));
        break;
      case 'schedule': {
        const [sub, scheduleId] = args;
        if (sub === 'create') {
          print(
            await commands.scheduleCreate(ctx, need(scheduleId, 'the schedule id', 'schedule create'), checked!, {
              at: need(values.at, '--at "YYYY-MM-DD HH:MM"', 'schedule create'),
              timeZone: need(values['time-zone'], '--time-zone', 'schedule create'),
            }),
          );
        } else if (sub === 'list') print(await commands.scheduleList(ctx));
        else if (sub === 'delete') print(await commands.scheduleDelete(ctx, need(scheduleId, 'the schedule id', 'schedule delete')));
        else throw new commands.UsageError('schedule: use create, list or delete (bluegreen schedule --help)');
        break;
      }
    }
    return 0;
  } finally {
    await connection.close();
  }
}

/** One line for any error: what went wrong and, where known, what to do. */
export function errorLine(err: unknown): string {
  const e = err as Error & { code?: string; cause?: Error };
  if (e instanceof commands.UsageError) return `bluegreen: ${e.message}`;
  if (e?.name === 'WorkflowNotFoundError') return `bluegreen: no such upgrade: ${e.message}`;
  if (e?.name === 'ServiceError' || e?.name === 'TransportError' || /Failed to connect/.test(e?.message ?? '')) return `bluegreen: cannot reach Temporal (${e.message}): check TEMPORAL_ADDRESS`;
  return `bluegreen: ${(e?.message ?? String(err)).split('\n')[0]}`;
}

/** The process entry: runs a command and exits with its status. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(errorLine(err));
      process.exit(1);
    },
  );
}
