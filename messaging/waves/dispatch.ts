// Sending a wave, exactly once per (wave, patient, channel). The ledger row moves
//   pending → claimed   a worker took it (FOR UPDATE SKIP LOCKED); nothing has left yet, so a claim
//                       whose worker died is simply handed back;
//   claimed → sending   just before the provider is called (only while the wave is still running);
//   sending → sent | failed | pending (a retry later) when the provider has answered.
// A row left in `sending` by a dead worker may or may not have left: it is reconciled from evidence (the
// outbox row, a provider status callback) and otherwise marked `unknown` for staff, never resent blindly.
// Pacing is shared by every worker through one row per channel (a leaky bucket: each batch reserves
// its slot of time), so N workers together keep the configured rate.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { pgArray, queryRows } from '../../db/pg-array.ts';
import type { WaveStage } from '../../db/schema/index.ts';
import type { Brand } from '../../emails/brand.ts';
import type { EmailLocale } from '../../emails/layout.tsx';
import { smsSegments } from '../../emails/sms.ts';
import { transitionSms } from '../../emails/transition-sms.ts';
import type * as TransitionEmail from '../../emails/transition.tsx';
import type { Logger } from '../../infra/logger.ts';
import type { EmailChannel } from '../channels/email.ts';
import { senderDomain } from '../channels/email.ts';
import type { ChannelSendResult } from '../channels/send-result.ts';
import { SMS_REFERENCE_HEADER, type SmsChannel } from '../channels/sms.ts';
import { waveMessageId, type DeliveryTokens } from '../delivery-tokens.ts';
import { exclusionSql, suppressionJoin } from './audience.ts';
import { isWithinSmsWindow, nextSmsOpening } from './quiet-hours.ts';
import type { WaveChannel } from './waves.ts';

export interface DispatchSettings {
  /** Email messages per second, SMS segments per second, across every worker. */
  rates: Record<WaveChannel, number>;
  /** Messages in flight at once in this process, per channel. */
  concurrency: number;
  claimStaleMs: number;
  maxAttempts: number;
}

/** Test hooks standing for a worker that stops dead at a point (it never returns from the hook). */
export interface DispatchHooks {
  afterClaim?: (ids: number[]) => Promise<void>;
  afterSend?: (ids: number[]) => Promise<void>;
}

export interface DispatcherDeps {
  db: Db;
  email: Pick<EmailChannel, 'send' | 'mode'>;
  sms: Pick<SmsChannel, 'send' | 'mode'>;
  tokens: DeliveryTokens;
  brand: Brand;
  publicUrl: string;
  /** The From address (its domain makes Message-IDs). */
  mailFrom: string;
  /** The mailto: half of List-Unsubscribe, when an address receives unsubscribe mail. */
  unsubscribeAddress?: string | undefined;
  settings: DispatchSettings;
  logger: Logger;
  hooks?: DispatchHooks;
  /** Sends SMS status callbacks here (only when Twilio is configured). */
  statusCallbacks?: boolean;
}

export interface BatchOutcome {
  claimed: number;
  sent: number;
  failed: number;
  retried: number;
  skipped: number;
  deferred: number;
  released: number;
}

interface ClaimedRow {
  id: number;
  wave_id: string;
  wave_state: string;
  channel: WaveChannel;
  attempts: number;
  patient_id: string;
  email: string | null;
  phone: string | null;
  given_name: string | null;
  locale: EmailLocale;
  time_zone: string;
  stage: WaveStage;
  timing: 'relative' | 'absolute';
  offset_days: number | null;
  wave_send_at: Date | string | null;
  cutover_date: string | null;
  excluded: string | null;
}

type Verdict =
  | { id: number; state: 'skipped'; reason: string }
  | { id: number; state: 'pending'; sendAt: Date; reason: string | null }
  | { id: number; state: 'sending' };

type Result =
  | { id: number; state: 'sent'; providerId: string }
  | { id: number; state: 'failed'; reason: string }
  | { id: number; state: 'pending'; sendAt: Date; reason: string };

const emptyOutcome = (): BatchOutcome => ({
  claimed: 0,
  sent: 0,
  failed: 0,
  retried: 0,
  skipped: 0,
  deferred: 0,
  released: 0,
});

export type Dispatcher = ReturnType<typeof createDispatcher>;

export function createDispatcher(deps: DispatcherDeps) {
  const { db, tokens, brand, settings } = deps;
  const log = deps.logger.child({ component: 'wave-dispatch' });
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const domain = senderDomain(deps.mailFrom);
  const workerId = randomUUID();
  const emailTemplates = new Map<string, Promise<TransitionTemplate>>();
  let pacingReady: Promise<void> | null = null;

  /** Claims up to `limit` due deliveries of a channel, with what sending them needs, in one statement. */
  async function claim(channel: WaveChannel, limit: number, token: string): Promise<ClaimedRow[]> {
    return queryRows<ClaimedRow>(
      db,
      sql`with due as (
            select d.id from wave_deliveries d join waves w on w.id = d.wave_id
            where d.state = 'pending' and d.channel = ${channel} and d.send_at <= now()
              and w.state in ('scheduled', 'sending')
            order by d.send_at
            limit ${limit}
            for update of d skip locked
          ), claimed as (
            update wave_deliveries d
            set state = 'claimed', claim_token = ${token}, claimed_at = now(), updated_at = now()
            from due where d.id = due.id
            returning d.id, d.wave_id, d.patient_id, d.channel, d.attempts
          )
          select c.id::int as id, c.wave_id, w.state::text as wave_state, c.channel::text as channel,
                 c.attempts, p.id as patient_id, p.email, p.phone, p.given_name, p.locale::text as locale,
                 p.time_zone, w.stage::text as stage, w.timing, w.offset_days, w.send_at as wave_send_at,
                 co.cutover_date::text as cutover_date,
                 ${exclusionSql(sql`w.stage`, sql`c.channel::text`)} as excluded
          from claimed c
          join patients p on p.id = c.patient_id
          join waves w on w.id = c.wave_id
          join cohorts co on co.id = w.cohort_id
          ${suppressionJoin(sql`c.channel::text`)}`,
    );
  }

  /** Reserves `units` of the channel's shared pace; answers how long to wait before the first send. */
  async function reserve(channel: WaveChannel, units: number): Promise<number> {
    pacingReady ??= db
      .execute(
        sql`insert into channel_pacing (channel, next_at) values ('email', now()), ('sms', now()) on conflict do nothing`,
      )
      .then(() => undefined);
    await pacingReady;
    const seconds = units / settings.rates[channel];
    const [row] = await queryRows<{ wait_ms: number }>(
      db,
      sql`update channel_pacing set next_at = greatest(next_at, clock_timestamp()) + make_interval(secs => ${seconds})
          where channel = ${channel}
          returning (extract(epoch from (next_at - clock_timestamp())) * 1000 - ${seconds * 1000})::float8 as wait_ms`,
    );
    return Math.max(0, Number(row?.wait_ms ?? 0));
  }

  /** A provider asked us to slow down: every worker waits a little before the channel's next batch. */
  async function backOff(channel: WaveChannel, ms: number) {
    await db.execute(
      sql`update channel_pacing set next_at = greatest(next_at, clock_timestamp()) + make_interval(secs => ${ms / 1000})
          where channel = ${channel}`,
    );
  }

  function afterCutover(row: ClaimedRow): boolean {
    if (row.timing === 'relative') return (row.offset_days ?? 0) > 0;
    if (!row.cutover_date || !row.wave_send_at) return false;
    return new Date(row.wave_send_at).toISOString().slice(0, 10) > row.cutover_date;
  }

  function links(id: number) {
    const unsubscribeToken = tokens.issue('unsubscribe', id);
    return {
      link: `${publicUrl}/cw/${tokens.issue('open', id)}`,
      unsubscribeToken,
      unsubscribeUrl: `${publicUrl}/unsubscribe/${unsubscribeToken}`,
    };
  }

  async function emailTemplate(row: ClaimedRow): Promise<TransitionTemplate> {
    const after = afterCutover(row);
    const key = `${row.wave_id}:${row.locale}:${after}:${row.cutover_date ?? ''}`;
    let template = emailTemplates.get(key);
    if (!template) {
      template = loadTransitionEmail().then(({ renderTransitionTemplate }) =>
        renderTransitionTemplate({
          stage: row.stage,
          brand,
          locale: row.locale,
          cutoverDate: row.cutover_date,
          afterCutover: after,
          portalUrl: publicUrl,
          assetBaseUrl: publicUrl,
        }),
      );
      template.catch(() => emailTemplates.delete(key));
      emailTemplates.set(key, template);
      if (emailTemplates.size > 256) emailTemplates.delete(emailTemplates.keys().next().value!);
    }
    return template;
  }

  function smsText(row: ClaimedRow): string {
    return transitionSms({
      stage: row.stage,
      locale: row.locale,
      brand,
      link: links(row.id).link,
      cutoverDate: row.cutover_date,
      afterCutover: afterCutover(row),
    });
  }

  async function sendOne(row: ClaimedRow): Promise<ChannelSendResult> {
    const { link, unsubscribeUrl, unsubscribeToken } = links(row.id);
    if (row.channel === 'email') {
      const template = await emailTemplate(row);
      const { fillTransitionTemplate } = await loadTransitionEmail();
      const filled = fillTransitionTemplate(
        template,
        { link, unsubscribeUrl, givenName: row.given_name },
        row.locale,
      );
      const listUnsubscribe = [`<${unsubscribeUrl}>`];
      if (deps.unsubscribeAddress)
        listUnsubscribe.unshift(
          `<mailto:${deps.unsubscribeAddress}?subject=${encodeURIComponent(`unsubscribe ${unsubscribeToken}`)}>`,
        );
      return deps.email.send({
        to: row.email!,
        subject: filled.subject,
        html: filled.html,
        text: filled.text,
        kind: 'wave',
        patientId: row.patient_id,
        headers: {
          'Message-ID': waveMessageId(tokens, row.id, domain),
          // RFC 8058: set through headers (nodemailer's `list` option writes a broken Post header).
          'List-Unsubscribe': listUnsubscribe.join(', '),
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
    }
    return deps.sms.send({
      to: row.phone!,
      body: smsText(row),
      kind: 'wave',
      patientId: row.patient_id,
      reference: String(row.id),
      statusCallback: deps.statusCallbacks ? `${publicUrl}/webhooks/twilio/status?d=${row.id}` : undefined,
    });
  }

  // A text's segments, worked out once per message (its text is built again when it is sent).
  const unitCache = new WeakMap<ClaimedRow, number>();
  function units(row: ClaimedRow): number {
    let cost = unitCache.get(row);
    if (cost === undefined) {
      cost = row.channel === 'sms' ? smsSegments(smsText(row)).segments : 1;
      unitCache.set(row, cost);
    }
    return cost;
  }

  function retryAt(attempts: number): Date {
    const base = Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 60 * 60_000);
    return new Date(Date.now() + base * (0.8 + Math.random() * 0.4));
  }

  /** Applies each verdict (skip, defer, or go ahead) in one statement; answers the rows cleared to send. */
  async function settle(token: string, verdicts: Verdict[]): Promise<Set<number>> {
    if (!verdicts.length) return new Set();
    const rows = await queryRows<{ id: number; state: string }>(
      db,
      sql`update wave_deliveries d set
            state = case
              when v.state = 'sending' and not exists (
                select 1 from waves w where w.id = d.wave_id and w.state in ('scheduled', 'sending'))
              then 'pending'::delivery_state
              else v.state::delivery_state end,
            claim_token = case when v.state = 'sending' then d.claim_token else null end,
            attempts = d.attempts + (case when v.state = 'sending' then 1 else 0 end),
            send_at = coalesce(v.send_at, d.send_at),
            reason = case when v.state = 'sending' then d.reason else v.reason end,
            updated_at = now()
          from unnest(${pgArray(verdicts.map((v) => v.id))}::bigint[],
                      ${pgArray(verdicts.map((v) => v.state))}::text[],
                      ${pgArray(verdicts.map((v) => (v.state === 'pending' ? v.sendAt.toISOString() : null)))}::timestamptz[],
                      ${pgArray(verdicts.map((v) => (v.state === 'sending' ? null : v.reason)))}::text[])
               as v(id, state, send_at, reason)
          where d.id = v.id and d.claim_token = ${token} and d.state = 'claimed'
          returning d.id::int as id, d.state::text as state`,
    );
    return new Set(rows.filter((row) => row.state === 'sending').map((row) => row.id));
  }

  /**
   * Records the provider's answers and, in the same statement, marks every patient reached as
   * `notified` (DESIGN §1) unless already further along.
   */
  async function record(token: string, results: Result[]) {
    if (!results.length) return;
    await db.execute(sql`
      with recorded as (
        update wave_deliveries d set
          state = v.state::delivery_state,
          provider_message_id = coalesce(v.provider_id, d.provider_message_id),
          reason = v.reason,
          send_at = coalesce(v.send_at, d.send_at),
          sent_at = case when v.state = 'sent' then coalesce(d.sent_at, now()) else d.sent_at end,
          claim_token = null,
          updated_at = now()
        from unnest(${pgArray(results.map((r) => r.id))}::bigint[],
                    ${pgArray(results.map((r) => r.state))}::text[],
                    ${pgArray(results.map((r) => (r.state === 'sent' ? r.providerId : null)))}::text[],
                    ${pgArray(results.map((r) => (r.state === 'sent' ? null : r.reason)))}::text[],
                    ${pgArray(results.map((r) => (r.state === 'pending' ? r.sendAt.toISOString() : null)))}::timestamptz[])
             as v(id, state, provider_id, reason, send_at)
        where d.id = v.id and d.claim_token = ${token} and d.state = 'sending'
        returning d.patient_id, v.state
      )
      update patients p set state = 'notified', updated_at = now()
      from recorded r
      where r.state = 'sent' and p.id = r.patient_id and p.state = 'imported'`);
  }

  function resultOf(row: ClaimedRow, outcome: ChannelSendResult): Result {
    if (outcome.ok) return { id: row.id, state: 'sent', providerId: outcome.messageId };
    const detail = outcome.detail ?? outcome.reason;
    if (outcome.reason === 'rejected') return { id: row.id, state: 'failed', reason: `rejected: ${detail}` };
    const attempts = row.attempts + 1;
    if (attempts >= settings.maxAttempts)
      return { id: row.id, state: 'failed', reason: `gave up after ${attempts} attempts: ${detail}` };
    return { id: row.id, state: 'pending', sendAt: retryAt(attempts), reason: `retrying: ${detail}` };
  }

  /**
   * One batch of one channel: claim, decide, wait for the channel's pace, send, record. Answers what
   * happened (all zero when nothing was due).
   */
  async function runBatch(channel: WaveChannel, limit = batchSize(channel)): Promise<BatchOutcome> {
    const outcome = emptyOutcome();
    const token = randomUUID();
    const rows = await claim(channel, limit, token);
    outcome.claimed = rows.length;
    if (!rows.length) return outcome;
    await deps.hooks?.afterClaim?.(rows.map((row) => row.id));

    const at = new Date();
    const verdicts: Verdict[] = [];
    const candidates: ClaimedRow[] = [];
    for (const row of rows) {
      if (row.excluded) {
        verdicts.push({ id: row.id, state: 'skipped', reason: row.excluded });
        outcome.skipped++;
      } else if (
        row.channel === 'sms' &&
        !isWithinSmsWindow(at, { timeZone: row.time_zone, phone: row.phone })
      ) {
        const opening = smsOpening(at, row);
        if (opening) {
          verdicts.push({ id: row.id, state: 'pending', sendAt: opening, reason: 'quiet_hours' });
          outcome.deferred++;
        } else {
          // The patient's zone and the number's state never share an allowed hour.
          verdicts.push({ id: row.id, state: 'skipped', reason: 'no_sms_window' });
          outcome.skipped++;
        }
      } else candidates.push(row);
    }

    let cleared = new Set<number>();
    let toSend: ClaimedRow[] = [];
    let startsAt = Date.now();
    try {
      if (candidates.length) {
        const cost = candidates.map(units);
        const total = cost.reduce((a, b) => a + b, 0);
        const wait = await reserve(channel, total);
        startsAt = Date.now() + wait;
        if (wait > 0) await sleep(wait);
      }
      cleared = await settle(token, [
        ...verdicts,
        ...candidates.map((row) => ({ id: row.id, state: 'sending' as const })),
      ]);
      toSend = candidates.filter((row) => cleared.has(row.id));
      outcome.released = candidates.length - toSend.length;
    } catch (error) {
      // Nothing has left: hand every claimed row back.
      await db.execute(sql`update wave_deliveries set state = 'pending', claim_token = null
        where claim_token = ${token} and state = 'claimed'`);
      throw error;
    }
    const started = toSend.filter((row) => row.wave_state === 'scheduled').map((row) => row.wave_id);
    if (started.length)
      await db.execute(sql`update waves set state = 'sending', started_at = coalesce(started_at, now()), updated_at = now()
        where id = any(${pgArray([...new Set(started)])}::uuid[]) and state = 'scheduled'`);

    // Spread the batch over its reserved slot: message i leaves when the units before it are used up.
    const rate = settings.rates[channel];
    let offsetUnits = 0;
    const results = await Promise.all(
      toSend.map(async (row) => {
        const due = startsAt + (offsetUnits / rate) * 1000;
        offsetUnits += units(row);
        const delay = due - Date.now();
        if (delay > 1) await sleep(delay);
        let answer: ChannelSendResult;
        try {
          answer = await sendOne(row);
        } catch (error) {
          log.error({ err: error, deliveryId: row.id }, 'wave message could not be prepared');
          answer = { ok: false, reason: 'unavailable', detail: 'internal error' };
        }
        return resultOf(row, answer);
      }),
    );
    await deps.hooks?.afterSend?.(toSend.map((row) => row.id));
    if (results.some((r) => r.state === 'pending' && r.reason.includes('429'))) await backOff(channel, 2_000);
    await record(token, results);
    for (const r of results) {
      if (r.state === 'sent') outcome.sent++;
      else if (r.state === 'failed') outcome.failed++;
      else outcome.retried++;
    }
    return outcome;
  }

  function smsOpening(at: Date, row: ClaimedRow): Date | null {
    try {
      return nextSmsOpening(at, { timeZone: row.time_zone, phone: row.phone });
    } catch {
      return null;
    }
  }

  function batchSize(channel: WaveChannel): number {
    // A slow channel claims about a second's worth, so a claim is never held long.
    return Math.max(1, Math.min(settings.concurrency, Math.floor(settings.rates[channel])));
  }

  /** When the next delivery of a channel is due (null: nothing waiting). */
  async function nextDue(channel: WaveChannel): Promise<Date | null> {
    const [row] = await queryRows<{ at: Date | string | null }>(
      db,
      sql`select min(d.send_at) as at from wave_deliveries d join waves w on w.id = d.wave_id
          where d.state = 'pending' and d.channel = ${channel} and w.state in ('scheduled', 'sending')`,
    );
    return row?.at ? new Date(row.at) : null;
  }

  /**
   * Hands back claims whose worker is gone, and settles rows left in `sending`: from the outbox (which
   * is the send, when no provider is configured) or, with a real provider, as `unknown` for staff
   * (a status callback that arrives later still settles them).
   */
  async function reconcile(): Promise<{
    released: number;
    recovered: number;
    requeued: number;
    unknown: number;
  }> {
    const stale = `${Math.round(settings.claimStaleMs / 1000)} seconds`;
    const released = await queryRows<{ id: number }>(
      db,
      sql`update wave_deliveries set state = 'pending', claim_token = null, updated_at = now()
          where state = 'claimed' and claimed_at < now() - ${stale}::interval returning id`,
    );
    const stuck = await queryRows<{ id: number; channel: WaveChannel }>(
      db,
      sql`select id::int as id, channel::text as channel from wave_deliveries
          where state = 'sending' and claimed_at < now() - ${stale}::interval limit 10000`,
    );
    let recovered = 0;
    let requeued = 0;
    let unknown = 0;
    for (const channel of ['email', 'sms'] as const) {
      const ids = stuck.filter((row) => row.channel === channel).map((row) => row.id);
      if (!ids.length) continue;
      if ((channel === 'email' ? deps.email.mode : deps.sms.mode) === 'outbox') {
        const keys = ids.map((id) => (channel === 'email' ? waveMessageId(tokens, id, domain) : String(id)));
        const header = channel === 'email' ? 'Message-ID' : SMS_REFERENCE_HEADER;
        const found = await queryRows<{ key: string; id: string }>(
          db,
          sql`select headers->>${header} as key, id from outbox
              where channel = ${channel} and kind = 'wave' and headers->>${header} = any(${pgArray(keys)}::text[])`,
        );
        const byKey = new Map(found.map((row) => [row.key, row.id]));
        const sent = ids.filter((_, i) => byKey.has(keys[i]!));
        const notSent = ids.filter((_, i) => !byKey.has(keys[i]!));
        if (sent.length)
          await db.execute(sql`update wave_deliveries d set state = 'sent', sent_at = coalesce(d.sent_at, now()),
              provider_message_id = v.outbox_id, claim_token = null, reason = 'reconciled', updated_at = now()
            from unnest(${pgArray(sent)}::bigint[], ${pgArray(sent.map((id) => byKey.get(keys[ids.indexOf(id)]!)!))}::text[]) as v(id, outbox_id)
            where d.id = v.id and d.state = 'sending'`);
        if (notSent.length)
          await db.execute(sql`update wave_deliveries set state = 'pending', claim_token = null, reason = 'reconciled', updated_at = now()
            where id = any(${pgArray(notSent)}::bigint[]) and state = 'sending'`);
        recovered += sent.length;
        requeued += notSent.length;
      } else {
        const marked = await queryRows<{ id: number }>(
          db,
          sql`update wave_deliveries set state = 'unknown', claim_token = null, reason = 'worker_lost_while_sending', updated_at = now()
              where id = any(${pgArray(ids)}::bigint[]) and state = 'sending' returning id`,
        );
        unknown += marked.length;
      }
    }
    const summary = { released: released.length, recovered, requeued, unknown };
    if (released.length || stuck.length) log.warn(summary, 'reconciled deliveries left by a stopped worker');
    return summary;
  }

  /** Waves with nothing left to send are done (unknown deliveries stay visible in the report). */
  async function finishWaves(): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      db,
      sql`update waves w set state = 'done', finished_at = now(), updated_at = now()
          where w.state in ('scheduled', 'sending') and not exists (
            select 1 from wave_deliveries d where d.wave_id = w.id and d.state in ('pending', 'claimed', 'sending'))
          returning w.id`,
    );
    return rows.map((row) => row.id);
  }

  return {
    workerId,
    runBatch,
    nextDue,
    reconcile,
    finishWaves,
    batchSize,
  };
}

type TransitionEmailModule = typeof TransitionEmail;
type TransitionTemplate = Awaited<ReturnType<TransitionEmailModule['renderTransitionTemplate']>>;
// React email takes about a second to load: only a process that sends wave email pays for it.
let transitionEmail: Promise<TransitionEmailModule> | null = null;
function loadTransitionEmail(): Promise<TransitionEmailModule> {
  transitionEmail ??= import('../../emails/transition.tsx');
  return transitionEmail;
}
