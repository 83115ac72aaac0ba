// Sign-in outcomes counted in memory and added to the per-minute tallies every few seconds (a few writes
// a minute per process, whatever the traffic): the circuit breaker reads them across every server.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';

export interface SignInTally {
  /** A sign-in attempt's outcome as the sign-in services name it (`success`, `invalid_credentials` …). */
  add(outcome: string): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Outcomes that say nothing about whether sign-in works: an attacker being held back. */
const IGNORED = new Set(['too_many_attempts']);

export function createSignInTally(db: Db, options: { flushEveryMs?: number } = {}): SignInTally {
  let success = 0;
  let failure = 0;
  let flushing: Promise<void> = Promise.resolve();

  async function write() {
    if (!success && !failure) return;
    const counts = { success, failure };
    success = 0;
    failure = 0;
    try {
      await db.execute(sql`
        insert into sign_in_tallies (minute, outcome, count)
        select date_trunc('minute', now()), v.outcome, v.count
        from (values ('success', ${counts.success}::int), ('failure', ${counts.failure}::int)) as v(outcome, count)
        where v.count > 0
        on conflict (minute, outcome) do update set count = sign_in_tallies.count + excluded.count`);
    } catch {
      // Kept for the next flush: the database may be back by then.
      success += counts.success;
      failure += counts.failure;
    }
  }

  const flush = () => (flushing = flushing.then(write));
  const timer = setInterval(() => void flush(), options.flushEveryMs ?? 10_000);
  timer.unref();

  return {
    add(outcome) {
      if (IGNORED.has(outcome)) return;
      if (outcome === 'success') success++;
      else failure++;
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
