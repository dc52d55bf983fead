// A worker in a process of its own (npm run worker's entry point), so that a test can
// SIGKILL it the way a crash or a lost machine would end it, and start a new one.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

export class WorkerProcess {
  private child?: ChildProcess;
  starts = 0;
  kills = 0;

  private restarting?: Promise<void>;
  private stopped = false;

  /** entry: the worker's main file, worker/main.ts unless a test brings its own. */
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly entry = path.join(root, 'worker', 'main.ts'),
  ) {}

  /** Starts a worker and resolves once it polls its task queue. */
  async start(): Promise<void> {
    const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), [this.entry], {
      cwd: root,
      env: { ...process.env, ...this.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts += 1;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (data: Buffer) => {
        output += data.toString();
        if (output.includes('worker: polling')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
      child.once('exit', (code) => reject(new Error(`the worker exited with ${code} before polling:\n${output.slice(-2000)}`)));
    });
  }

  /** Starts a new worker whenever the running one dies, as a supervisor would. */
  superviseRestarts(): void {
    this.child?.once('exit', () => {
      if (this.stopped) return;
      this.restarting = this.start().then(() => this.superviseRestarts());
    });
  }

  /** SIGKILL: no shutdown, no goodbye, activities cut off mid-step. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.kills += 1;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** SIGTERM: the worker finishes what it has in hand and exits. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting?.catch(() => undefined);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
