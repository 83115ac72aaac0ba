// What the providers tell us after a wave message left: Twilio's status callbacks and the email
// provider's bounces, complaints and deliveries, written onto the delivery ledger.
import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { queryRows } from '../db/pg-array.ts';
import type { DeliveryState } from '../db/schema/index.ts';
import { suppress } from './consent.ts';
import { deliveryIdFromMessageId, type DeliveryTokens } from './delivery-tokens.ts';

/**
 * Twilio's message statuses in the order a message goes through them. Callbacks arrive out of order,
 * so a status only counts when it ranks above the one recorded; the last rank is final.
 */
const SMS_STATUS_RANK: Record<string, number> = {
  accepted: 1,
  scheduled: 1,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  read: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
};

/** Twilio: the recipient texted STOP to the sender (the number is blocked at Twilio's end too). */
const TWILIO_UNSUBSCRIBED = 21610;

export type SmsStatusOutcome =
  | { ok: true; deliveryId: number; state: DeliveryState; suppressed: boolean }
  | {
      ok: false;
      /** A status we do not track; no delivery with this id or sid; or one that already knew better. */
      reason: 'unknown_status' | 'not_found' | 'out_of_order';
      suppressed: boolean;
    };

/** The delivery a callback speaks of: by our id when the callback URL carried it, else by the sid. */
function target(deliveryId: number | undefined, messageSid: string): SQL {
  return deliveryId !== undefined ? sql`d.id = ${deliveryId}` : sql`d.provider_message_id = ${messageSid}`;
}

/**
 * Records one Twilio status callback with one conditional UPDATE: a lower rank never overwrites a
 * higher one and a final status is never changed (a late `sent` after `delivered` is ignored). A
 * delivery still `claimed`, `sending` or `unknown` (its worker died before recording the send) is
 * reconciled: Twilio has the message, so it was sent. Error 21610 also suppresses the number.
 */
export async function recordSmsStatus(
  db: DbOrTx,
  input: {
    deliveryId?: number;
    messageSid: string;
    status: string;
    errorCode?: number;
    /** The number the message went to (the callback's `To`); else the patient's number. */
    to?: string;
    now?: Date;
  },
): Promise<SmsStatusOutcome> {
  const at = (input.now ?? new Date()).toISOString();
  const status = input.status.toLowerCase();
  const rank = SMS_STATUS_RANK[status];
  const suppressed = input.errorCode === TWILIO_UNSUBSCRIBED ? await suppressNumber(db, input) : false;
  if (rank === undefined) return { ok: false, reason: 'unknown_status', suppressed };

  const delivered = status === 'delivered' || status === 'read';
  const failed = status === 'undelivered' || status === 'failed' || status === 'canceled';
  // `undelivered` left Twilio; `failed` and `canceled` never did.
  const left = status !== 'failed' && status !== 'canceled';
  const reason = failed ? `twilio_${input.errorCode ?? status}` : null;
  const state = delivered
    ? sql`'delivered'::delivery_state`
    : failed
      ? sql`'failed'::delivery_state`
      : sql`case when d.state in ('claimed', 'sending', 'unknown') then 'sent'::delivery_state else d.state end`;
  const currentRank = sql.join(
    [
      sql`case d.provider_status`,
      ...Object.entries(SMS_STATUS_RANK).map(([name, r]) => sql`when ${name} then ${r}::int`),
      sql`else 0 end`,
    ],
    sql` `,
  );
  const rows = await queryRows<{ id: number | string; state: DeliveryState }>(
    db,
    sql`update wave_deliveries d set
          provider_status = ${status},
          provider_message_id = coalesce(d.provider_message_id, ${input.messageSid}),
          state = ${state},
          sent_at = case when ${left}::boolean then coalesce(d.sent_at, ${at}::timestamptz) else d.sent_at end,
          delivered_at = case when ${delivered}::boolean then coalesce(d.delivered_at, ${at}::timestamptz)
                              else d.delivered_at end,
          reason = case when ${failed}::boolean then ${reason} else d.reason end,
          updated_at = ${at}::timestamptz
        where ${target(input.deliveryId, input.messageSid)}
          and d.channel = 'sms'
          and d.state <> 'skipped'
          and (d.provider_message_id is null or d.provider_message_id = ${input.messageSid})
          and ${currentRank} < ${rank}::int
        returning d.id, d.state`,
  );
  const row = rows[0];
  if (row) return { ok: true, deliveryId: Number(row.id), state: row.state, suppressed };
  const exists = await queryRows<{ id: unknown }>(
    db,
    sql`select d.id from wave_deliveries d where ${target(input.deliveryId, input.messageSid)} limit 1`,
  );
  return { ok: false, reason: exists.length > 0 ? 'out_of_order' : 'not_found', suppressed };
}

async function suppressNumber(
  db: DbOrTx,
  input: { deliveryId?: number; messageSid: string; to?: string },
): Promise<boolean> {
  let number = input.to;
  let deliveryId = input.deliveryId ?? null;
  if (!number || deliveryId === null) {
    const [found] = await queryRows<{ id: number | string; phone: string | null }>(
      db,
      sql`select d.id, p.phone from wave_deliveries d join patients p on p.id = d.patient_id
          where ${target(input.deliveryId, input.messageSid)} and d.channel = 'sms' limit 1`,
    );
    number ||= found?.phone ?? undefined;
    deliveryId ??= found ? Number(found.id) : null;
  }
  if (!number) return false;
  await suppress(db, { channel: 'sms', address: number, reason: 'stop', scope: 'all', deliveryId });
  return true;
}

export type EmailEvent =
  | { type: 'bounce'; messageId?: string; recipient: string; bounceType?: 'hard' | 'soft' }
  | { type: 'complaint' | 'delivered'; messageId?: string; recipient: string };

export interface EmailEventOutcome {
  /** The wave delivery the event is about, when its Message-ID is one of ours. */
  deliveryId: number | null;
  /** What changed: the delivery's state or status, and whether the address was suppressed. */
  delivery: 'failed' | 'delivered' | 'soft_bounce' | 'unchanged' | 'none';
  suppressed: boolean;
}

/**
 * Records one event from the email provider. A hard bounce fails the delivery and suppresses the
 * address for everything; a soft bounce is only noted on the delivery (the provider retries); a
 * complaint ("this is spam") suppresses wave emails to the address; a delivery marks it delivered.
 * A bounce or complaint whose Message-ID is not ours still suppresses the address.
 */
export async function recordEmailEvent(
  db: DbOrTx,
  tokens: DeliveryTokens,
  event: EmailEvent,
  now: Date = new Date(),
): Promise<EmailEventOutcome> {
  const deliveryId = event.messageId ? deliveryIdFromMessageId(tokens, event.messageId) : null;
  const at = now.toISOString();
  let delivery: EmailEventOutcome['delivery'] = deliveryId === null ? 'none' : 'unchanged';
  let suppressed = false;
  const update = async (set: SQL, states: DeliveryState[], outcome: EmailEventOutcome['delivery']) => {
    if (deliveryId === null) return;
    const rows = await queryRows<{ id: unknown }>(
      db,
      sql`update wave_deliveries d set ${set}, updated_at = ${at}::timestamptz
          where d.id = ${deliveryId} and d.channel = 'email'
            and d.state::text in (${sql.join(
              states.map((s) => sql`${s}`),
              sql`, `,
            )})
          returning d.id`,
    );
    if (rows.length > 0) delivery = outcome;
  };
  switch (event.type) {
    case 'bounce':
      if (event.bounceType === 'hard') {
        await update(
          sql`state = 'failed', reason = 'hard_bounce', provider_status = 'bounced'`,
          ['claimed', 'sending', 'sent', 'delivered', 'unknown'],
          'failed',
        );
        await suppress(db, {
          channel: 'email',
          address: event.recipient,
          reason: 'hard_bounce',
          scope: 'all',
          deliveryId,
        });
        suppressed = true;
      } else {
        await update(
          sql`provider_status = 'soft_bounce'`,
          ['claimed', 'sending', 'sent', 'unknown'],
          'soft_bounce',
        );
      }
      break;
    case 'complaint':
      await suppress(db, {
        channel: 'email',
        address: event.recipient,
        reason: 'complaint',
        scope: 'transition',
        deliveryId,
      });
      suppressed = true;
      break;
    case 'delivered':
      await update(
        sql`state = 'delivered', provider_status = 'delivered',
            sent_at = coalesce(d.sent_at, ${at}::timestamptz),
            delivered_at = coalesce(d.delivered_at, ${at}::timestamptz)`,
        ['claimed', 'sending', 'sent', 'unknown'],
        'delivered',
      );
      break;
  }
  return { deliveryId, delivery, suppressed };
}
