// An instance's PostgreSQL log as RDS serves it: hourly files named error/postgresql.log.
// YYYY-MM-DD-HH, read in portions with markers, and as CloudWatch Logs events.
import fs from 'node:fs';
import path from 'node:path';
import { invalidValue } from './errors';

export interface LogFile {
  name: string;
  size: number;
  lastWritten: number;
}

export interface LogEvent {
  timestamp: number;
  message: string;
}

const PREFIX_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC:/;
const MAX_LINES = 10_000;
const MAX_PORTION_BYTES = 1024 * 1024;

/** The file a server started now writes to: RDS starts a new file each hour. */
export function currentLogFile(logDir: string, now = new Date()): string {
  const hour = now.toISOString().slice(0, 13).replace('T', '-');
  return path.join(logDir, 'error', `postgresql.log.${hour}`);
}

export function listLogFiles(logDir: string): LogFile[] {
  const dir = path.join(logDir, 'error');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('postgresql.log.'))
    .sort()
    .map((name) => {
      const stat = fs.statSync(path.join(dir, name));
      return { name: `error/${name}`, size: stat.size, lastWritten: stat.mtimeMs };
    });
}

function readLogFile(logDir: string, name: string): Buffer | undefined {
  if (!listLogFiles(logDir).some((f) => f.name === name)) return undefined;
  return fs.readFileSync(path.join(logDir, name));
}

export interface Portion {
  logFileData: string;
  marker: string;
  additionalDataPending: boolean;
}

/**
 * DownloadDBLogFilePortion's paging: without a marker, the last lines of the file; with
 * one ("0" is the start), the lines after it and a marker for the next call.
 */
export function downloadPortion(logDir: string, name: string, marker?: string, numberOfLines?: number): Portion | undefined {
  const data = readLogFile(logDir, name);
  if (!data) return undefined;
  if (numberOfLines !== undefined && (!Number.isInteger(numberOfLines) || numberOfLines < 1 || numberOfLines > MAX_LINES)) {
    throw invalidValue(`NumberOfLines must be an integer from 1 to ${MAX_LINES}, not ${numberOfLines}.`);
  }
  const limit = numberOfLines ?? MAX_LINES;
  if (marker === undefined) {
    const lines = data.toString('utf8').split(/(?<=\n)/);
    const tail = lines.slice(-limit).join('');
    return { logFileData: tail, marker: String(data.length), additionalDataPending: false };
  }
  if (!/^\d+$/.test(marker) || Number(marker) > data.length) {
    throw invalidValue(`Marker ${marker} is not a marker this log file returned; start with "0".`);
  }
  let end = Number(marker);
  let lines = 0;
  while (end < data.length && lines < limit && end - Number(marker) < MAX_PORTION_BYTES) {
    const newline = data.indexOf(0x0a, end);
    end = newline === -1 ? data.length : newline + 1;
    lines += 1;
  }
  return {
    logFileData: data.subarray(Number(marker), end).toString('utf8'),
    marker: String(end),
    additionalDataPending: end < data.length,
  };
}

/** Every message of every log file in order; continuation lines stay with their message. */
export function logEvents(logDir: string): LogEvent[] {
  const events: LogEvent[] = [];
  for (const file of listLogFiles(logDir)) {
    const text = fs.readFileSync(path.join(logDir, file.name), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const time = PREFIX_TIME.exec(line);
      if (time) events.push({ timestamp: Date.parse(`${time[1]}T${time[2]}Z`), message: line });
      else if (events.length > 0) events[events.length - 1].message += `\n${line}`;
      else events.push({ timestamp: file.lastWritten, message: line });
    }
  }
  return events;
}
