// Where the worker and the CLI find Temporal: the environment or a Temporal profile
// (@temporalio/envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS
// settings, TEMPORAL_PROFILE and its config file; Temporal Cloud included).
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

export const DEFAULT_TASK_QUEUE = 'rds-bluegreen';

export interface TemporalSettings {
  connectionOptions: NativeConnectionOptions;
  namespace: string;
  taskQueue: string;
  /** The Temporal web UI, for links to a workflow. */
  uiUrl: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const config = loadClientConnectConfig({ profile: env.TEMPORAL_PROFILE, overrideEnvVars: env as Record<string, string> });
  const connectionOptions = { ...config.connectionOptions, address: config.connectionOptions.address ?? '127.0.0.1:7233' };
  return {
    connectionOptions,
    namespace: config.namespace ?? 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    uiUrl: (env.TEMPORAL_UI_URL || 'http://127.0.0.1:8233').replace(/\/$/, ''),
  };
}
