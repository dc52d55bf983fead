// The AWS JSON protocol that CloudWatch Logs and Secrets Manager speak: the X-Amz-Target
// header names the action, the body is a JSON object, an error is {"__type", "message"}.
import type { LocalRds } from './service';

export type JsonParams = Record<string, unknown>;
export type JsonActions = Record<string, (rds: LocalRds, p: JsonParams) => Record<string, unknown>>;

/** An error the caller caused: a 400 with the type the SDK maps to its exception. */
export class JsonApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'JsonApiError';
  }
}

export interface JsonService {
  /** As users know it, for messages: "CloudWatch Logs". */
  name: string;
  /** The target's prefix before the action: "Logs_20140328." */
  targetPrefix: string;
  /** The type of an error of the service itself (a 500). */
  internalError: string;
  actions: JsonActions;
}

export function handleJson(service: JsonService, rds: LocalRds, target: string, body: string): { status: number; body: string } {
  try {
    const handler = target.startsWith(service.targetPrefix) ? service.actions[target.slice(service.targetPrefix.length)] : undefined;
    if (!handler) throw new JsonApiError('UnknownOperationException', `The local RDS serves ${service.name} ${Object.keys(service.actions).join(', ')}, not ${target}.`);
    let params: unknown;
    try {
      params = JSON.parse(body || '{}');
    } catch {
      throw new JsonApiError('SerializationException', 'The request body is not valid JSON.');
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new JsonApiError('SerializationException', 'The request body must be a JSON object.');
    }
    return { status: 200, body: JSON.stringify(handler(rds, params as JsonParams)) };
  } catch (err) {
    if (err instanceof JsonApiError) return { status: 400, body: JSON.stringify({ __type: err.type, message: err.message }) };
    return { status: 500, body: JSON.stringify({ __type: service.internalError, message: (err as Error).message }) };
  }
}
