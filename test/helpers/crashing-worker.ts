// A worker that SIGKILLs itself at given points, for the durability test: when the nth
// task of an activity type starts (the first step of a phase: a phase boundary), at once or
// after a delay (inside a long wait). The points left are kept in a file, so that each
// kill happens once across the restarts that follow.
import fs from 'node:fs';
import { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityExecuteInput, Next } from '@temporalio/worker';
import { runWorker } from '../../worker/run';

export interface KillPoint {
  activity: string;
  /** Which start of that activity type, counted across restarts (1 = the first). */
  nth: number;
  delayMs: number;
}

interface Plan {
  points: KillPoint[];
  starts: Record<string, number>;
  kills: string[];
}

const planFile = process.env.BLUEGREEN_CRASH_PLAN!;
const read = (): Plan => JSON.parse(fs.readFileSync(planFile, 'utf8')) as Plan;
const write = (plan: Plan) => fs.writeFileSync(planFile, JSON.stringify(plan));

class CrashAtPoints implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const type = Context.current().info.activityType;
    // Attempts after a crash do not count as new starts of the step.
    if (Context.current().info.attempt === 1) {
      const plan = read();
      plan.starts[type] = (plan.starts[type] ?? 0) + 1;
      const point = plan.points.find((p) => p.activity === type && p.nth === plan.starts[type]);
      if (point) {
        plan.points = plan.points.filter((p) => p !== point);
        plan.kills.push(`${type}#${point.nth}`);
      }
      write(plan);
      if (point) setTimeout(() => process.kill(process.pid, 'SIGKILL'), point.delayMs);
    }
    return next(input);
  }
}

runWorker({ interceptors: { activity: [() => ({ inbound: new CrashAtPoints() })] } }).catch((err) => {
  console.error(err);
  process.exit(1);
});
