// Seeds 10 to 12 and the seed's ROLLBACK: the moments when one side closes and the other
// opens. Until the opening side takes logins, a failure reopens the closing side: exactly one
// side serves whatever happens, never both and never neither.
import { CancellationScope, log, patched } from '@temporalio/workflow';
import { act, CUTOVER, describe, QUICK } from './act';
import type { UpgradeInput } from './input';
import { awaitManualSwitch, holdTraffic, moveTraffic, releaseTraffic, restoreTraffic, type Side, type TrafficContext } from './traffic';

type DbRef = () => { host: string; port: number; database: string; user: string; password: UpgradeInput['blue']['adminPassword'] };

export interface CutoverTools extends TrafficContext {
  blueDb: DbRef;
  greenDb: DbRef;
  replicationFrom: (side: Side) => ReturnType<DbRef>;
  readLag: (side: Side) => Promise<number>;
}

/**
 * Seeds 10 to 12, with the write freeze (from locking BLUE to opening GREEN) holding only
 * what must happen while no one writes: the lag reaching 0, the forward subscription gone,
 * GREEN's slot made before GREEN takes a write, the sequences, the traffic moved. What can
 * wait comes after GREEN opens: the reverse subscription starts from GREEN's slot, which
 * has kept every change since it was made, so nothing is lost by starting it later.
 */
export async function cutover(t: CutoverTools): Promise<void> {
  const { state, input } = t;
  const { slot, publication, subscription } = input.replication;
  // Seeds 11.1 and 11.2 first: GREEN has the role and the publication from BLUE's snapshot
  // already, so these only make sure, outside the freeze.
  t.step('11.1/11.2 replication role and publication on GREEN');
  await act(QUICK, 'seed 11.1: replication role on GREEN').createReplicationRole({ db: t.greenDb(), role: input.replication.user, password: input.replication.password });
  await act(QUICK, 'seed 11.2: publication on GREEN').createPublication({ db: t.greenDb(), publication });
  await act(QUICK, 'GREEN confirms applied changes at once').setSubscriptionFlush({ db: t.greenDb(), subscription, immediate: true });

  await closeAndOpen(t, 'blue', 'green', async () => {
    t.step('10.2 BLUE users NOLOGIN, sessions terminated');
    await act(CUTOVER, 'seed 10.2: lock BLUE').lockLogins({ db: t.blueDb(), roles: input.appUsers });
    t.step('10.1 lag 0, 10.3 subscription dropped, 10.5 slot on GREEN; 10.7 sequences');
    // With BLUE locked no sequence moves: they are copied while replication drains.
    await all(
      (async () => {
        await act(CUTOVER, 'seed 10.1: wait for lag 0').waitForLag({ db: t.blueDb(), slot, maxLagBytes: 0, timeoutSeconds: 60 });
        await act(CUTOVER, 'seed 10.3: drop the subscription on GREEN').dropSubscription({ db: t.greenDb(), subscription });
        await act(CUTOVER, 'seed 10.5: slot on GREEN').createReplicationSlot({ db: t.greenDb(), slot });
      })(),
      act(CUTOVER, 'seed 10.7: sync sequences').syncSequences({ source: t.blueDb(), target: t.greenDb() }),
    );
  });

  // GREEN serves. The way back is built now, and a failure here leaves GREEN serving.
  t.step('10.4 drop the slot on BLUE');
  await act(QUICK, 'seed 10.4: drop the slot on BLUE').dropReplicationSlot({ db: t.blueDb(), slot });
  t.step('10.6 reverse subscription on BLUE');
  await act(QUICK, 'seed 10.6: reverse subscription on BLUE').createSubscription({
    db: t.blueDb(),
    subscription,
    publication,
    slot,
    source: t.replicationFrom('green'),
    enabled: true,
  });
  t.step('11 final checks');
  await act(QUICK, 'seed 11: final checks').runChecks({ publisher: t.greenDb(), subscriber: t.blueDb(), role: input.replication.user, publication, subscription });
  await awaitManualSwitch(t, 'green');
  t.step(input.traffic.strategy === 'none' ? '12.2 traffic to GREEN: repoint the application to GREEN' : '12.2 traffic on GREEN');
  state.status.waitingFor = undefined;
}

/** The seed's ROLLBACK 1 to 6: the mirror of the cutover, GREEN to BLUE. */
export async function rollback(t: CutoverTools): Promise<void> {
  const { input } = t;
  const { slot, subscription } = input.replication;
  t.step('ROLLBACK 1 reverse replication lag');
  await t.readLag('green');
  // Added after the first stored histories: rollbacks started before it replay the old order.
  const tight = patched('tight-rollback');
  if (tight) await act(QUICK, 'BLUE confirms applied changes at once').setSubscriptionFlush({ db: t.blueDb(), subscription, immediate: true });
  await closeAndOpen(t, 'green', 'blue', async () => {
    t.step('ROLLBACK 2 GREEN users NOLOGIN, sessions terminated');
    await act(CUTOVER, 'rollback 2: lock GREEN').lockLogins({ db: t.greenDb(), roles: input.appUsers });
    const drain = async () => {
      t.step('ROLLBACK 1 lag 0, ROLLBACK 3 drop the subscription on BLUE');
      await act(CUTOVER, 'rollback 1: wait for lag 0').waitForLag({ db: t.greenDb(), slot, maxLagBytes: 0, timeoutSeconds: 60 });
      await act(CUTOVER, 'rollback 3: drop the subscription on BLUE').dropSubscription({ db: t.blueDb(), subscription });
    };
    const sequences = () => act(CUTOVER, 'rollback 4: sync sequences').syncSequences({ source: t.greenDb(), target: t.blueDb() });
    if (tight) {
      await all(drain(), sequences());
    } else {
      await drain();
      t.step('ROLLBACK 4 sequences from GREEN to BLUE');
      await sequences();
    }
  }, tight);
  await awaitManualSwitch(t, 'blue');
  t.step(input.traffic.strategy === 'none' ? 'ROLLBACK 6 traffic to BLUE: repoint the application to BLUE' : 'ROLLBACK 6 traffic on BLUE');
  await act(QUICK, 'rollback: drop the slot on GREEN').dropReplicationSlot({ db: t.greenDb(), slot });
}

/**
 * The write freeze: traffic held, `from` closed by `close`, traffic moved, `to` opened,
 * traffic released. If anything fails before `to` opens, `from` reopens and takes the
 * traffic back; PgBouncer is resumed whatever happens.
 */
async function closeAndOpen(t: CutoverTools, from: Side, to: Side, close: () => Promise<void>, parallel = true): Promise<void> {
  const { state, input } = t;
  const db = (side: Side) => (side === 'blue' ? t.blueDb() : t.greenDb());
  try {
    await CancellationScope.nonCancellable(async () => {
      await holdTraffic(t);
      // Traffic moves while `from` closes: until `to` opens, no one gets through either way.
      if (parallel) {
        await all(close(), moveTraffic(t, to));
      } else {
        await close();
        await moveTraffic(t, to);
      }
      t.step(`${to === 'green' ? '12.1' : 'ROLLBACK 5'} ${to.toUpperCase()} users LOGIN`);
      await act(CUTOVER, `${to === 'green' ? 'seed 12.1' : 'rollback 5'}: open ${to.toUpperCase()}`).unlockLogins({ db: db(to), roles: input.appUsers });
      state.status.serving = to;
      await releaseTraffic(t);
    });
  } catch (err) {
    if (state.status.serving === from) {
      log.error(`switch to ${to} failed; reopening ${from}`, { error: describe(err) });
      const errors: string[] = [];
      await CancellationScope.nonCancellable(async () => {
        try {
          await act(QUICK, `fail-safe: reopen ${from.toUpperCase()}`).unlockLogins({ db: db(from), roles: input.appUsers });
        } catch (e) {
          errors.push(`reopening ${from.toUpperCase()}: ${describe(e)}`);
        }
        await restoreTraffic(t, from, errors);
      });
      state.status.lastError = `${to === 'green' ? 'cutover' : 'rollback'} failed, ${from.toUpperCase()} reopened: ${describe(err)}${errors.length ? `; the fail-safe also failed at: ${errors.join('; ')}` : ''}`;
    } else {
      // The new side serves: PgBouncer must not stay paused.
      await CancellationScope.nonCancellable(() => releaseTraffic(t, QUICK)).catch((e: unknown) => {
        state.status.lastError = `PgBouncer RESUME failed after ${to.toUpperCase()} opened: ${describe(e)}`;
      });
    }
    throw err;
  }
}

/** Waits for every step, then fails with the first failure: no step still runs when the fail-safe starts. */
async function all(...steps: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The cutover as it ran before the freeze was tightened, every step inside the freeze;
 * upgrades started before then replay it. Remove once none of them is still running.
 */
export async function cutoverBeforeTightening(t: CutoverTools): Promise<void> {
  const { state, input } = t;
  const { slot, publication, subscription } = input.replication;
  const status = state.status;
  try {
    await CancellationScope.nonCancellable(async () => {
      t.step('10.2 BLUE users NOLOGIN, sessions terminated');
      await act(CUTOVER, 'seed 10.2: lock BLUE').lockLogins({ db: t.blueDb(), roles: input.appUsers });
      t.step('10.1 waiting for lag 0');
      await act(CUTOVER, 'seed 10.1: wait for lag 0').waitForLag({ db: t.blueDb(), slot, maxLagBytes: 0, timeoutSeconds: 60 });
      t.step('10.3 drop the subscription on GREEN');
      await act(CUTOVER, 'seed 10.3: drop the subscription on GREEN').dropSubscription({ db: t.greenDb(), subscription });
      t.step('10.4 drop the slot on BLUE');
      await act(CUTOVER, 'seed 10.4: drop the slot on BLUE').dropReplicationSlot({ db: t.blueDb(), slot });
      t.step('10.5 slot on GREEN');
      await act(CUTOVER, 'seed 10.5: slot on GREEN').createReplicationSlot({ db: t.greenDb(), slot });
      await act(CUTOVER, 'seed 11.1: replication role on GREEN').createReplicationRole({ db: t.greenDb(), role: input.replication.user, password: input.replication.password });
      await act(CUTOVER, 'seed 11.2: publication on GREEN').createPublication({ db: t.greenDb(), publication });
      t.step('10.6 reverse subscription on BLUE');
      await act(CUTOVER, 'seed 10.6: reverse subscription on BLUE').createSubscription({
        db: t.blueDb(),
        subscription,
        publication,
        slot,
        source: t.replicationFrom('green'),
        enabled: true,
      });
      t.step('10.7 sequences from BLUE to GREEN');
      await act(CUTOVER, 'seed 10.7: sync sequences').syncSequences({ source: t.blueDb(), target: t.greenDb() });
      t.step('11 final checks');
      await act(CUTOVER, 'seed 11: final checks').runChecks({ publisher: t.greenDb(), subscriber: t.blueDb(), role: input.replication.user, publication, subscription });
      t.step('12.1 GREEN users LOGIN');
      await act(CUTOVER, 'seed 12.1: open GREEN').unlockLogins({ db: t.greenDb(), roles: input.appUsers });
      status.serving = 'green';
    });
  } catch (err) {
    if (status.serving === 'blue') {
      status.lastError = `cutover failed, BLUE reopened: ${describe(err)}`;
      log.error('cutover failed; reopening BLUE', { error: describe(err) });
      await CancellationScope.nonCancellable(() => act(QUICK, 'fail-safe: reopen BLUE').unlockLogins({ db: t.blueDb(), roles: input.appUsers }));
    }
    throw err;
  }
  t.step('12.2 traffic to GREEN: repoint the application to GREEN');
}
