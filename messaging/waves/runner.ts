// The wave workers of one process: a few dispatch loops per channel working the delivery ledger, and
// the upkeep that pg-boss runs once a minute across every process (a singleton queue): hand back dead
// workers' claims, settle what they left half-sent, trip the circuit breaker, and close finished
// waves. Any number of processes may run this; the ledger's claims keep them from sending twice.
import { setTimeout as sleep } from 'node:timers/promises';
import { PgBoss } from 'pg-boss';
import type { DatabaseHandle } from '../../db/client.ts';
import type { Logger } from '../../infra/logger.ts';
import { checkBreaker, type BreakerSettings } from './breaker.ts';
import type { Dispatcher } from './dispatch.ts';
import type { WaveChannel, Waves } from './waves.ts';

export interface WaveRunnerDeps {
  database: DatabaseHandle;
  /** The PostgreSQL URL pg-boss connects with (absent: the embedded database, through its handle). */
  databaseUrl?: string | undefined;
  dispatcher: Dispatcher;
  waves: Pick<Waves, 'pause'>;
  breaker: BreakerSettings;
  logger: Logger;
  /** Concurrent batches per channel in this process. */
  lanes?: Partial<Record<WaveChannel, number>>;
  /** Longest wait between looks at the ledger when nothing is due (default 1 s). */
  idleMs?: number;
  /** More work for the minute upkeep, run once across every process (errors are logged, not thrown). */
  alsoEveryMinute?: readonly (() => Promise<unknown>)[];
}

export interface WaveRunner {
  /** Wakes the dispatch loops at once (a wave was approved or resumed in this process). */
  wake(): void;
  /** Runs the upkeep now (also what the minute job runs). */
  upkeep(): Promise<void>;
  stop(): Promise<void>;
}

const UPKEEP_QUEUE = 'wave-upkeep';

export async function startWaveRunner(deps: WaveRunnerDeps): Promise<WaveRunner> {
  const { dispatcher, database } = deps;
  const log = deps.logger.child({ component: 'wave-runner' });
  const idleMs = deps.idleMs ?? 1_000;
  let stopped = false;
  const sleepers = new Set<AbortController>();

  async function nap(ms: number) {
    const controller = new AbortController();
    sleepers.add(controller);
    try {
      await sleep(ms, undefined, { signal: controller.signal });
    } catch {
      // woken early
    } finally {
      sleepers.delete(controller);
    }
  }

  // The embedded database has no autovacuum: every delivery is updated three times on its way, and
  // the dead row versions would slow each later claim. Tidy the ledger after every so many.
  let sinceVacuum = 0;
  let vacuuming: Promise<void> | null = null;
  async function tidy(claimed: number) {
    if (deps.databaseUrl || !database.pglite) return;
    sinceVacuum += claimed;
    if (sinceVacuum < 20_000 || vacuuming) return;
    sinceVacuum = 0;
    vacuuming = database.pglite
      .exec('vacuum wave_deliveries')
      .then(() => undefined)
      .finally(() => {
        vacuuming = null;
      });
    await vacuuming;
  }

  async function loop(channel: WaveChannel) {
    while (!stopped) {
      try {
        const outcome = await dispatcher.runBatch(channel);
        await tidy(outcome.claimed);
        if (outcome.claimed) continue;
        const next = await dispatcher.nextDue(channel);
        const wait = next ? Math.min(Math.max(next.getTime() - Date.now(), 20), idleMs) : idleMs;
        await nap(wait);
      } catch (error) {
        if (stopped) return;
        log.error({ err: error, channel }, 'wave dispatch failed; trying again shortly');
        await nap(2_000);
      }
    }
  }

  async function upkeep() {
    await dispatcher.reconcile();
    const { reading, paused } = await checkBreaker(database.db, deps.waves, deps.breaker);
    if (paused.length)
      log.warn({ tripped: reading.tripped, waves: paused.length }, 'circuit breaker paused waves');
    const done = await dispatcher.finishWaves();
    if (done.length) log.info({ waves: done.length }, 'waves finished');
    // Other minute work that must run once across every process (the support desk's SLA clocks).
    for (const task of deps.alsoEveryMinute ?? []) {
      try {
        await task();
      } catch (error) {
        log.error({ err: error }, 'minute upkeep task failed');
      }
    }
  }

  const boss = new PgBoss(
    deps.databaseUrl
      ? { connectionString: deps.databaseUrl, max: 2, application_name: 'causeway-waves' }
      : { db: pgliteExecutor(database), backend: 'pglite' },
  );
  boss.on('error', (error: unknown) => log.error({ err: error }, 'job queue error'));
  await boss.start();
  await boss.createQueue(UPKEEP_QUEUE, { policy: 'singleton', expireInSeconds: 300, retryLimit: 0 });
  await boss.schedule(UPKEEP_QUEUE, '* * * * *');
  await boss.work(UPKEEP_QUEUE, async () => {
    await upkeep();
  });

  const lanes = { email: deps.lanes?.email ?? 3, sms: deps.lanes?.sms ?? 1 };
  const loops = (['email', 'sms'] as const).flatMap((channel) =>
    Array.from({ length: lanes[channel] }, () => loop(channel)),
  );
  log.info({ lanes }, 'wave workers running');

  return {
    wake() {
      for (const sleeper of sleepers) sleeper.abort();
    },
    upkeep,
    async stop() {
      stopped = true;
      for (const sleeper of sleepers) sleeper.abort();
      await Promise.all(loops);
      await boss.stop({ graceful: true, timeout: 10_000 });
    },
  };
}

/**
 * pg-boss on the embedded database: statements without parameters may hold several commands, which
 * only PGlite's `exec` runs; the rest go through `query`.
 */
function pgliteExecutor(database: DatabaseHandle) {
  const pglite = database.pglite;
  if (!pglite) throw new Error('the embedded database handle has no PGlite instance');
  return {
    async executeSql(text: string, values?: unknown[]) {
      if (values?.length) return { rows: (await pglite.query(text, values)).rows as unknown[] };
      const results = await pglite.exec(text);
      return { rows: (results.at(-1)?.rows ?? []) as unknown[] };
    },
  };
}
