// The start LSN (the box before seed step 8): the first "redo done at X/Y" in GREEN's
// PostgreSQL log after the restore began, plus one byte. Read from CloudWatch Logs when
// GREEN exports its log there, else from the RDS log files, page by page.
import { paginateFilterLogEvents, ResourceNotFoundException, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DownloadDBLogFilePortionCommand, paginateDescribeDBLogFiles, type RDSClient } from '@aws-sdk/client-rds';
import { ApplicationFailure } from '@temporalio/common';
import { isLsn, startLsnAfterRedo } from '../common/lsn';
import { whileHeartbeating } from './heartbeat';

export interface LogsDeps {
  rds: RDSClient;
  logs: CloudWatchLogsClient;
}

export interface StartLsn {
  /** Where the subscription starts: the redo LSN + 1. */
  startLsn: string;
  redoDoneAt: string;
  /** The log line it came from, for the operator to check. */
  line: string;
  source: 'cloudwatch' | 'logfiles';
}

// RDS's log_line_prefix begins with the time: "2025-02-10 13:04:05 UTC:...".
const LINE_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC:/;
const REDO_DONE = /redo done at (\S+)/;
// The clocks of the worker and of RDS may differ a little; nothing precedes a new instance's log.
const CLOCK_SLACK_MS = 60_000;

const HOW_TO_SUPPLY =
  'Find the first "redo done at X/Y" line in GREEN\'s PostgreSQL log after the restore (RDS console: Logs & events) and send X/Y to the workflow with the setStartLsn signal; the workflow adds the one byte.';

export function createLogsActivities(deps: LogsDeps) {
  async function fromCloudWatch(instanceId: string, startTime: number): Promise<string | undefined> {
    const pages = paginateFilterLogEvents(
      { client: deps.logs },
      {
        logGroupName: `/aws/rds/instance/${instanceId}/postgresql`,
        logStreamNames: [instanceId],
        startTime,
        filterPattern: '?"redo done at" ?"redo is not required"',
      },
    );
    for await (const page of pages) {
      const first = page.events?.[0];
      if (first) return first.message;
    }
    return undefined;
  }

  async function fromLogFiles(instanceId: string, startTime: number): Promise<string | undefined> {
    const names: string[] = [];
    for await (const page of paginateDescribeDBLogFiles({ client: deps.rds }, { DBInstanceIdentifier: instanceId, FileLastWritten: startTime })) {
      for (const file of page.DescribeDBLogFiles ?? []) if (file.LogFileName?.startsWith('error/')) names.push(file.LogFileName);
    }
    // Hourly file names sort in time order.
    for (const name of names.sort()) {
      let marker = '0';
      for (;;) {
        const portion = await deps.rds.send(
          new DownloadDBLogFilePortionCommand({ DBInstanceIdentifier: instanceId, LogFileName: name, Marker: marker, NumberOfLines: 10_000 }),
        );
        const found = firstRedoLine(portion.LogFileData ?? '', startTime);
        if (found) return found;
        if (!portion.AdditionalDataPending || !portion.Marker || portion.Marker === marker) break;
        marker = portion.Marker;
      }
    }
    return undefined;
  }

  return {
    async findStartLsn(input: { greenInstanceId: string; restoreStartedAt: string; logsExported: boolean }): Promise<StartLsn> {
      const startTime = Date.parse(input.restoreStartedAt) - CLOCK_SLACK_MS;
      if (Number.isNaN(startTime)) throw ApplicationFailure.nonRetryable(`restoreStartedAt ${input.restoreStartedAt} is not a time`, 'InvalidInput');
      return whileHeartbeating({ step: 'search-log' }, async () => {
        let source: StartLsn['source'] = 'logfiles';
        let line: string | undefined;
        if (input.logsExported) {
          try {
            line = await fromCloudWatch(input.greenInstanceId, startTime);
            source = 'cloudwatch';
          } catch (err) {
            // No log group: the log is not exported after all; the files have it.
            if (!(err instanceof ResourceNotFoundException)) throw err;
          }
        }
        if (line === undefined) {
          source = 'logfiles';
          line = await fromLogFiles(input.greenInstanceId, startTime);
        }
        return interpret(line, input.greenInstanceId, source);
      });
    },
  };
}

/** The first line at or after startTime that says how the restore's redo ended. */
export function firstRedoLine(text: string, startTime: number): string | undefined {
  for (const line of text.split('\n')) {
    const time = LINE_TIME.exec(line);
    if (!time || Date.parse(`${time[1]}T${time[2]}Z`) < startTime) continue;
    if (line.includes('redo done at') || line.includes('redo is not required')) return line;
  }
  return undefined;
}

function interpret(line: string | undefined, instanceId: string, source: StartLsn['source']): StartLsn {
  if (line === undefined) {
    throw ApplicationFailure.nonRetryable(`GREEN ${instanceId}'s log has no "redo done at" line after the restore began. ${HOW_TO_SUPPLY}`, 'RedoLineNotFound');
  }
  if (line.includes('redo is not required')) {
    throw ApplicationFailure.nonRetryable(
      `GREEN ${instanceId} logged "redo is not required", so its log does not tell where the snapshot ends: ${line.trim()}. ${HOW_TO_SUPPLY}`,
      'RedoNotRequired',
    );
  }
  const match = REDO_DONE.exec(line);
  if (!match || !isLsn(match[1])) {
    throw ApplicationFailure.nonRetryable(`GREEN ${instanceId}'s "redo done at" line has no LSN that can be read: ${line.trim()}. ${HOW_TO_SUPPLY}`, 'UnparsableRedoLine');
  }
  return { startLsn: startLsnAfterRedo(match[1]), redoDoneAt: match[1].toUpperCase(), line: line.trim(), source };
}
