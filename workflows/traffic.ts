// Moving the application's connections between BLUE and GREEN, by the input's strategy:
// PgBouncer pauses its pools for the switch (clients wait, none fail), a user's hook moves
// them, an operator moves them and says so (trafficSwitched), or the application follows
// status.serving by itself (none).
import { condition } from '@temporalio/workflow';
import type { HookEndpoint } from '../activities/hook';
import { act, CUTOVER, QUICK } from './act';
import type { UpgradeInput } from './input';
import type { UpgradeState } from './state';

export type Side = 'blue' | 'green';

export interface TrafficContext {
  input: UpgradeInput;
  state: UpgradeState;
  endpoint: (side: Side) => HookEndpoint;
  step: (text: string) => void;
}

/** Preflight: what would stop the switch, found before anything changes. */
export async function checkTraffic(t: TrafficContext): Promise<string[]> {
  const traffic = t.input.traffic;
  if (traffic.strategy === 'pgbouncer') {
    const blue = t.endpoint('blue');
    const { problems } = await act(QUICK, 'PgBouncer ready to switch').checkPgbouncer({ pgbouncer: traffic.pgbouncer, blue: { host: blue.host, port: blue.port } });
    return problems;
  }
  if (traffic.strategy === 'command') {
    try {
      await act(QUICK, 'traffic hook present').checkTrafficHook({ hook: traffic.hook });
    } catch (err) {
      return [((err as { cause?: Error }).cause ?? (err as Error)).message];
    }
  }
  return [];
}

/** First step of the freeze: new transactions wait in PgBouncer instead of failing. */
export async function holdTraffic(t: TrafficContext): Promise<void> {
  const traffic = t.input.traffic;
  if (traffic.strategy !== 'pgbouncer') return;
  t.step('PgBouncer PAUSE: new transactions wait, running ones finish');
  await act(CUTOVER, 'traffic: pause PgBouncer').pausePgbouncer({ pgbouncer: traffic.pgbouncer });
}

/** Points the application at `to`, while the freeze holds; done before `to` opens its logins. */
export async function moveTraffic(t: TrafficContext, to: Side, profile = CUTOVER): Promise<void> {
  const traffic = t.input.traffic;
  const target = t.endpoint(to);
  if (traffic.strategy === 'pgbouncer') {
    t.step(`PgBouncer entries to ${to.toUpperCase()} (${target.host}:${target.port}), RELOAD`);
    await act(profile, `traffic: PgBouncer to ${to.toUpperCase()}`).repointPgbouncer({ pgbouncer: traffic.pgbouncer, to: { host: target.host, port: target.port } });
  } else if (traffic.strategy === 'command') {
    t.step(`traffic hook ${traffic.hook} to ${to.toUpperCase()}`);
    await act({ ...profile, startToCloseTimeout: `${traffic.timeoutSeconds + 10} seconds` }, `traffic: hook ${traffic.hook} to ${to.toUpperCase()}`).runTrafficHook({
      hook: traffic.hook,
      to: target,
      timeoutSeconds: traffic.timeoutSeconds,
    });
  }
}

/** Last step of the freeze: the waiting transactions go on, to the side now serving. */
export async function releaseTraffic(t: TrafficContext, profile = CUTOVER): Promise<void> {
  const traffic = t.input.traffic;
  if (traffic.strategy !== 'pgbouncer') return;
  t.step('PgBouncer RESUME');
  await act(profile, 'traffic: resume PgBouncer').resumePgbouncer({ pgbouncer: traffic.pgbouncer });
}

/** With the manual strategy, waits until an operator says the application uses `side`. */
export async function awaitManualSwitch(t: TrafficContext, side: Side): Promise<void> {
  if (t.input.traffic.strategy !== 'manual') return;
  const target = t.endpoint(side);
  t.state.trafficAwaited = side;
  t.state.status.waitingFor = { what: `trafficSwitched, once the application connects to ${side.toUpperCase()} (${target.host}:${target.port})`, from: 'operator' };
  t.step(`waiting for trafficSwitched: point the application at ${side.toUpperCase()}`);
  await condition(() => t.state.trafficSwitchedTo === side);
  t.state.trafficAwaited = undefined;
  t.state.status.waitingFor = undefined;
}

/**
 * The fail-safe's half: traffic back to `side`, which has just reopened, and PgBouncer
 * resumed whatever else fails, so that no client is left waiting on a pause.
 */
export async function restoreTraffic(t: TrafficContext, side: Side, errors: string[]): Promise<void> {
  const attempt = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (err) {
      errors.push(`${what}: ${(err as Error).message}`);
    }
  };
  const traffic = t.input.traffic;
  if (traffic.strategy === 'pgbouncer' || traffic.strategy === 'command') {
    await attempt(`traffic back to ${side.toUpperCase()}`, () => moveTraffic(t, side, QUICK));
  }
  await attempt('PgBouncer RESUME', () => releaseTraffic(t, QUICK));
}
