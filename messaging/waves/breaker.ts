// The circuit breaker for waves that push people to sign in: when sign-ins start failing (the new
// platform or the bridge is in trouble) or people opt out in numbers (the message is landing badly),
// sending more of them makes things worse. Every running wave of those stages is paused, staff are told
// why on the wave's page, and a person decides when to resume.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queryRows } from '../../db/pg-array.ts';
import { SIGN_IN_NOW } from './audience.ts';
import type { Waves } from './waves.ts';

export interface BreakerSettings {
  windowMs: number;
  signInFailureRate: number;
  optOutRate: number;
  /** Below this many sign-ins (or sent messages), a rate says nothing. */
  minSample: number;
}

export interface BreakerReading {
  signIns: { success: number; failure: number; failureRate: number };
  optOuts: { sent: number; optedOut: number; rate: number };
  tripped: 'sign_in_failures' | 'opt_outs' | null;
}

export async function readBreaker(db: Db, settings: BreakerSettings): Promise<BreakerReading> {
  const window = `${Math.round(settings.windowMs / 1000)} seconds`;
  const [signIns] = await queryRows<{ success: number; failure: number }>(
    db,
    sql`select coalesce(sum(count) filter (where outcome = 'success'), 0)::int as success,
               coalesce(sum(count) filter (where outcome = 'failure'), 0)::int as failure
        from sign_in_tallies where minute >= date_trunc('minute', now() - ${window}::interval)`,
  );
  const [optOuts] = await queryRows<{ sent: number; opted_out: number }>(
    db,
    sql`select
          (select count(*) from wave_deliveries d join waves w on w.id = d.wave_id
           where d.sent_at >= now() - ${window}::interval
             and w.stage::text = any(${`{${SIGN_IN_NOW.join(',')}}`}::text[]))::int as sent,
          (select count(*) from suppressions s
           where s.created_at >= now() - ${window}::interval and s.delivery_id is not null
             and s.reason in ('unsubscribe', 'stop', 'complaint'))::int as opted_out`,
  );
  const success = signIns?.success ?? 0;
  const failure = signIns?.failure ?? 0;
  const attempts = success + failure;
  const failureRate = attempts ? failure / attempts : 0;
  const sent = optOuts?.sent ?? 0;
  const optedOut = optOuts?.opted_out ?? 0;
  const rate = sent ? optedOut / sent : 0;
  const tripped =
    attempts >= settings.minSample && failureRate > settings.signInFailureRate
      ? ('sign_in_failures' as const)
      : sent >= settings.minSample && rate > settings.optOutRate
        ? ('opt_outs' as const)
        : null;
  return { signIns: { success, failure, failureRate }, optOuts: { sent, optedOut, rate }, tripped };
}

/** Reads the breaker and pauses every running sign-in-now wave when it trips. Answers the waves paused. */
export async function checkBreaker(
  db: Db,
  waves: Pick<Waves, 'pause'>,
  settings: BreakerSettings,
): Promise<{ reading: BreakerReading; paused: string[] }> {
  const reading = await readBreaker(db, settings);
  if (!reading.tripped) return { reading, paused: [] };
  const running = await queryRows<{ id: string }>(
    db,
    sql`select id from waves where state in ('scheduled', 'sending')
        and stage::text = any(${`{${SIGN_IN_NOW.join(',')}}`}::text[])`,
  );
  const paused: string[] = [];
  for (const { id } of running) {
    const result = await waves.pause({ type: 'system' }, id, 'circuit_breaker');
    if (result.ok) paused.push(id);
  }
  return { reading, paused };
}
