// Complete workflow histories as the Temporal server stores them, read without any codec,
// and turned into text to search: every string field, and every byte field (payload data,
// metadata, encoded failure attributes) both as UTF-8 and as base64.
import type { Client } from '@temporalio/client';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
export type HistoryEvent = NonNullable<History['events']>[number];

export interface Run {
  runId: string;
  events: HistoryEvent[];
}

/** Every run of a workflow, first to last, following continue-as-new. */
export async function fetchAllRuns(client: Client, workflowId: string): Promise<Run[]> {
  const latest = await client.workflow.getHandle(workflowId).fetchHistory();
  let runId: string | undefined = latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? undefined;
  if (!runId) throw new Error(`${workflowId}: the first event names no first run`);
  const runs: Run[] = [];
  while (runId) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    runs.push({ runId, events });
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    if (runs.length > 1000) throw new Error(`${workflowId}: more than 1000 runs`);
  }
  return runs;
}

/** The text of every string and byte field of a history, bytes as UTF-8 and as base64. */
export function historyText(events: HistoryEvent[]): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown): void => {
    if (value === null || value === undefined) return;
    if (typeof value === 'string') parts.push(value);
    else if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'), Buffer.from(value).toString('base64'));
    else if (typeof value === 'object') {
      if (seen.has(value)) return;
      seen.add(value);
      for (const v of Object.values(value)) walk(v);
    }
  };
  walk(events);
  return parts.join('\n');
}

/**
 * The forms in which a secret could sit in text: itself, and its base64 at each of the three
 * alignments it can have inside a longer base64 string (the characters that do not depend on
 * its neighbours).
 */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms = [secret];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const start = Math.ceil((shift * 4) / 3);
    const end = Math.floor(((shift + bytes.length) * 4) / 3);
    forms.push(b64.slice(start, end));
  }
  return forms;
}

/** Each secret (by label) whose value or base64 occurs in the text. */
export function secretsIn(text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => secretForms(value).some((form) => text.includes(form)))
    .map(([label]) => label);
}
