// Who hears a wave. One SQL expression decides whether a patient is left out of a channel and why; the
// audience count shown before approval, the ledger written at approval and the check a worker makes
// just before sending all use it, so a STOP or an unsubscribe that arrives after approval still counts.
import { sql, type SQL } from 'drizzle-orm';
import type { WaveStage } from '../../db/schema/index.ts';

/** Stages that end once the patient has signed in (exit on conversion). */
export const EXIT_ON_SIGN_IN: readonly WaveStage[] = ['nudge', 'last_call'];
/**
 * Stages that push people to sign in now: a patient whose import was flagged (a shared email or phone)
 * is not sent there, and the circuit breaker pauses them when sign-ins fail or opt-outs spike.
 */
export const SIGN_IN_NOW: readonly WaveStage[] = ['cutover_day', 'nudge', 'last_call'];

export const exclusionReasons = [
  'closed',
  'no_address',
  'no_consent',
  'suppressed',
  'already_signed_in',
  'flagged',
] as const;
export type ExclusionReason = (typeof exclusionReasons)[number];

/** Plain words for each reason, for the approval page and the report. */
export const exclusionLabels: Record<ExclusionReason, string> = {
  closed: 'Account closed',
  no_address: 'No address for this channel',
  no_consent: 'Did not agree to this channel',
  suppressed: 'Unsubscribed, bounced or texted STOP',
  already_signed_in: 'Already signed in',
  flagged: 'Import flagged (shared email or phone)',
};

/**
 * NULL when the patient `p` may receive a wave of this stage on `channel`, else the reason code.
 * `channel` is a text expression; suppressions `s` must be joined on the channel and the patient's
 * address. `stage` is a known stage, or an SQL expression naming each row's stage (workers claim rows
 * of several waves at once).
 */
export function exclusionSql(stage: WaveStage | SQL, channel: SQL): SQL {
  const exitOnSignIn =
    typeof stage === 'string' ? sql`${EXIT_ON_SIGN_IN.includes(stage)}` : stageIn(stage, EXIT_ON_SIGN_IN);
  const skipFlagged =
    typeof stage === 'string' ? sql`${SIGN_IN_NOW.includes(stage)}` : stageIn(stage, SIGN_IN_NOW);
  return sql`case
    when p.state = 'closed' then 'closed'
    when ${channel} = 'email' and p.email is null then 'no_address'
    when ${channel} = 'sms' and p.phone is null then 'no_address'
    when ${channel} = 'email' and not p.email_opt_in then 'no_consent'
    when ${channel} = 'sms' and not p.sms_opt_in then 'no_consent'
    when s.address is not null then 'suppressed'
    when ${exitOnSignIn} and p.state in ('bridged', 'active') then 'already_signed_in'
    when ${skipFlagged} and cardinality(p.flags) > 0 then 'flagged'
    else null end`;
}

function stageIn(stage: SQL, stages: readonly WaveStage[]): SQL {
  return sql`(${stage})::text = any(${`{${stages.join(',')}}`}::text[])`;
}

/** The suppression join for patient `p` on a channel expression. */
export function suppressionJoin(channel: SQL): SQL {
  return sql`left join suppressions s on s.channel::text = ${channel}
    and s.address = case when ${channel} = 'email' then p.email_normalized else p.phone end`;
}
