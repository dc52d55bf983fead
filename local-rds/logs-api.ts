// CloudWatch Logs' JSON protocol for the log groups RDS exports to:
// /aws/rds/instance/<id>/postgresql, one stream named after the instance.
import { handleJson, JsonApiError, type JsonActions, type JsonParams as Params } from './json-api';
import { logEvents, type LogEvent } from './log-files';
import type { LocalRds } from './service';

const GROUP = /^\/aws\/rds\/instance\/([^/]+)\/postgresql$/;
const MAX_EVENTS = 10_000;

const ACTIONS: JsonActions = {
  FilterLogEvents: (rds, p) => {
    const { id, events } = group(rds, p);
    const streams = optionalStrings(p, 'logStreamNames');
    const prefix = optionalString(p, 'logStreamNamePrefix');
    const inStream = (!streams || streams.includes(id)) && (prefix === undefined || id.startsWith(prefix));
    const matches = compilePattern(optionalString(p, 'filterPattern'));
    const selected = inStream ? inTimeRange(events, p).filter((e) => matches(e.message)) : [];
    const start = tokenIndex(optionalString(p, 'nextToken'), 'n');
    const limit = limitOf(p, MAX_EVENTS);
    const page = selected.slice(start, start + limit);
    return {
      events: page.map((e, i) => ({ logStreamName: id, timestamp: e.timestamp, ingestionTime: e.timestamp, message: e.message, eventId: String(start + i) })),
      searchedLogStreams: inStream ? [{ logStreamName: id, searchedCompletely: true }] : [],
      nextToken: start + limit < selected.length ? `n/${start + limit}` : undefined,
    };
  },
  GetLogEvents: (rds, p) => {
    const { id, events } = group(rds, p);
    const stream = optionalString(p, 'logStreamName');
    if (stream !== id) throw new JsonApiError('ResourceNotFoundException', `The specified log stream does not exist: ${String(stream)}.`);
    const selected = inTimeRange(events, p);
    const limit = limitOf(p, MAX_EVENTS);
    const token = optionalString(p, 'nextToken');
    // Forward tokens name where the next page starts, backward ones where the previous ends.
    let from: number;
    if (token?.startsWith('f/')) from = tokenIndex(token, 'f');
    else if (token?.startsWith('b/')) from = Math.max(0, tokenIndex(token, 'b') - limit);
    else if (token !== undefined) throw new JsonApiError('InvalidParameterException', `The nextToken ${token} was not returned by this API.`);
    else from = p.startFromHead === true ? 0 : Math.max(0, selected.length - limit);
    const to = token?.startsWith('b/') ? tokenIndex(token, 'b') : Math.min(selected.length, from + limit);
    return {
      events: selected.slice(from, to).map((e) => ({ timestamp: e.timestamp, ingestionTime: e.timestamp, message: e.message })),
      nextForwardToken: `f/${to}`,
      nextBackwardToken: `b/${from}`,
    };
  },
  DescribeLogStreams: (rds, p) => {
    const { id, events } = group(rds, p);
    const prefix = optionalString(p, 'logStreamNamePrefix');
    if (prefix !== undefined && p.orderBy === 'LastEventTime') {
      throw new JsonApiError('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    const listed = prefix === undefined || id.startsWith(prefix);
    return {
      logStreams: listed
        ? [
            {
              logStreamName: id,
              creationTime: events[0]?.timestamp,
              firstEventTimestamp: events[0]?.timestamp,
              lastEventTimestamp: events[events.length - 1]?.timestamp,
              lastIngestionTime: events[events.length - 1]?.timestamp,
              arn: `arn:aws:logs:${rds.region}:000000000000:log-group:/aws/rds/instance/${id}/postgresql:log-stream:${id}`,
              storedBytes: 0,
            },
          ]
        : [],
    };
  },
};

export function handleLogsJson(rds: LocalRds, target: string, body: string): { status: number; body: string } {
  return handleJson({ name: 'CloudWatch Logs', targetPrefix: 'Logs_20140328.', internalError: 'ServiceUnavailableException', actions: ACTIONS }, rds, target, body);
}

/** The instance behind a log group, and its events; only exported groups exist. */
function group(rds: LocalRds, p: Params): { id: string; events: LogEvent[] } {
  const name = optionalString(p, 'logGroupName') ?? optionalString(p, 'logGroupIdentifier');
  const match = name === undefined ? null : GROUP.exec(name);
  const id = match?.[1];
  const instance = id === undefined ? undefined : rds.describeInstances().find((i) => i.id === id);
  if (!instance || !instance.enabledCloudwatchLogsExports.includes('postgresql')) {
    throw new JsonApiError('ResourceNotFoundException', `The specified log group does not exist: ${String(name)}.`);
  }
  return { id: instance.id, events: logEvents(rds.logDir(instance.id)) };
}

function inTimeRange(events: LogEvent[], p: Params): LogEvent[] {
  const start = optionalNumber(p, 'startTime') ?? 0;
  const end = optionalNumber(p, 'endTime') ?? Number.MAX_SAFE_INTEGER;
  return events.filter((e) => e.timestamp >= start && e.timestamp <= end);
}

// CloudWatch's plain filter patterns: every term must appear, "quoted phrases" as written,
// and ?term alternatives of which one must appear. JSON and metric patterns are refused.
function compilePattern(pattern: string | undefined): (message: string) => boolean {
  if (pattern === undefined || pattern.trim() === '') return () => true;
  if (/^\s*[{[]/.test(pattern)) throw new JsonApiError('InvalidParameterException', 'The local RDS supports terms, "quoted phrases" and ?alternatives in filterPattern, not JSON or space-delimited patterns.');
  const terms = [...pattern.matchAll(/(\?)?(?:"([^"]*)"|(\S+))/g)].map((m) => ({ optional: m[1] === '?', text: m[2] ?? m[3] }));
  const all = terms.filter((t) => !t.optional);
  const any = terms.filter((t) => t.optional);
  return (message) => all.every((t) => message.includes(t.text)) && (any.length === 0 || any.some((t) => message.includes(t.text)));
}

function tokenIndex(token: string | undefined, kind: string): number {
  if (token === undefined) return 0;
  const match = new RegExp(`^${kind}/(\\d+)$`).exec(token);
  if (!match) throw new JsonApiError('InvalidParameterException', `The nextToken ${token} was not returned by this API.`);
  return Number(match[1]);
}

function limitOf(p: Params, max: number): number {
  const limit = optionalNumber(p, 'limit') ?? max;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new JsonApiError('InvalidParameterException', `limit must be from 1 to ${max}.`);
  return limit;
}

function optionalString(p: Params, name: string): string | undefined {
  const value = p[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new JsonApiError('InvalidParameterException', `${name} must be a string.`);
  return value;
}

function optionalNumber(p: Params, name: string): number | undefined {
  const value = p[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new JsonApiError('InvalidParameterException', `${name} must be a number.`);
  return value;
}

function optionalStrings(p: Params, name: string): string[] | undefined {
  const value = p[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new JsonApiError('InvalidParameterException', `${name} must be a list of strings.`);
  return value;
}
