// Where the worker and the CLI find Temporal: the environment or a Temporal profile
// (@temporalio/envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS
// settings, TEMPORAL_PROFILE and its config file; Temporal Cloud included), and the data
// converter: payloads are encrypted when BLUEGREEN_CODEC_KEY or BLUEGREEN_CODEC_KEY_FILE is
// set (lib/codec.ts).
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { dataConverterFromEnv } from '../lib/codec';

export const DEFAULT_TASK_QUEUE = 'rds-bluegreen';

export interface TemporalSettings {
  connectionOptions: NativeConnectionOptions;
  namespace: string;
  taskQueue: string;
  /** The Temporal web UI, for links to a workflow. */
  uiUrl: string;
  /** For every client and worker: undefined (the default one) unless payloads are encrypted. */
  dataConverter?: DataConverter;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const config = loadClientConnectConfig({ profile: env.TEMPORAL_PROFILE, overrideEnvVars: env as Record<string, string> });
  const connectionOptions = { ...config.connectionOptions, address: config.connectionOptions.address ?? '127.0.0.1:7233' };
  return {
    connectionOptions,
    namespace: config.namespace ?? 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    uiUrl: (env.TEMPORAL_UI_URL || 'http://127.0.0.1:8233').replace(/\/$/, ''),
    // Throws, naming the variable, when a key is set but unusable: before anything connects.
    dataConverter: dataConverterFromEnv(env),
  };
}
