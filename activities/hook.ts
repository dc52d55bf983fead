// The `command` traffic switch: a hook of the user's, run by the worker with the endpoint
// that serves next. Only executables in the worker's BLUEGREEN_HOOKS_DIR can run, named by
// the input; a workflow input can never make the worker run an arbitrary command.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { whileHeartbeating } from './heartbeat';

export interface HookEndpoint {
  side: 'blue' | 'green';
  instanceId: string;
  host: string;
  port: number;
  database: string;
}

function hookPath(hooksDir: string | undefined, hook: string): string {
  if (!hooksDir) {
    throw ApplicationFailure.nonRetryable('The worker has no BLUEGREEN_HOOKS_DIR: set it to the directory that holds your traffic hooks, then retry.', 'NoHooksDir');
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(hook)) {
    throw ApplicationFailure.nonRetryable(`traffic.hook: ${JSON.stringify(hook)} must be a file name in BLUEGREEN_HOOKS_DIR (letters, digits, . _ -)`, 'InvalidHook');
  }
  const file = path.join(hooksDir, hook);
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw ApplicationFailure.nonRetryable(`traffic.hook: ${file} does not exist or is not executable by the worker`, 'InvalidHook');
  }
  return file;
}

export function createHookActivities(deps: { hooksDir?: string }) {
  return {
    /** Preflight: the hook exists and may run. */
    async checkTrafficHook(input: { hook: string }): Promise<{ path: string }> {
      return { path: hookPath(deps.hooksDir, input.hook) };
    },

    /**
     * Runs the hook with the endpoint in its environment (BLUEGREEN_SIDE, _INSTANCE_ID, _HOST,
     * _PORT, _DATABASE). It must be idempotent: a retried step runs it again. Exit 0 means
     * traffic has moved.
     */
    async runTrafficHook(input: { hook: string; to: HookEndpoint; timeoutSeconds: number }): Promise<{ output: string }> {
      const file = hookPath(deps.hooksDir, input.hook);
      return whileHeartbeating({ hook: input.hook, side: input.to.side }, (signal) =>
        new Promise((resolve, reject) => {
          const child = spawn(file, [input.to.side], {
            env: {
              ...process.env,
              BLUEGREEN_SIDE: input.to.side,
              BLUEGREEN_INSTANCE_ID: input.to.instanceId,
              BLUEGREEN_HOST: input.to.host,
              BLUEGREEN_PORT: String(input.to.port),
              BLUEGREEN_DATABASE: input.to.database,
            },
            stdio: ['ignore', 'pipe', 'pipe'],
            signal,
            timeout: input.timeoutSeconds * 1000,
          });
          let output = '';
          const keep = (chunk: Buffer) => {
            output = (output + chunk.toString()).slice(-4000);
          };
          child.stdout.on('data', keep);
          child.stderr.on('data', keep);
          child.on('error', reject);
          child.on('close', (code, sig) => {
            if (code === 0) resolve({ output });
            else reject(new Error(`traffic hook ${input.hook} ${sig ? `was stopped by ${sig} (timeout ${input.timeoutSeconds} s?)` : `exited with ${code}`}: ${output.trim().split('\n').slice(-5).join(' | ')}`));
          });
        }),
      );
    },
  };
}
