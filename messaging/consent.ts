// Consent that patients give and take back by themselves: carrier keywords texted to the sender number
// (STOP, START, HELP and their Spanish words) and the suppression list that every wave reads before
// it sends (unsubscribes, STOP, hard bounces, complaints).
import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { appendAudit } from '../db/audit.ts';
import type { DbOrTx } from '../db/client.ts';
import { queryRows } from '../db/pg-array.ts';
import { patients, suppressions, waveDeliveries, type Suppression } from '../db/schema/index.ts';

export type SmsKeyword = 'stop' | 'start' | 'help';

export interface ParsedSmsKeyword {
  keyword: SmsKeyword;
  /**
   * `es` for a Spanish word (PARAR, AYUDA …). Null for the carrier keywords (STOP, START, HELP …):
   * our Spanish pages tell patients to reply STOP and HELP, so those words say nothing about language.
   */
  language: 'es' | null;
  /** Whether Twilio acts on the word by itself (blocks or unblocks the number and answers it). */
  handledByTwilio: boolean;
}

const KEYWORDS: Record<string, ParsedSmsKeyword> = {};
function define(words: string[], keyword: SmsKeyword, language: 'es' | null, handledByTwilio: boolean) {
  for (const word of words) KEYWORDS[word] = { keyword, language, handledByTwilio };
}
// Twilio's default opt-out and opt-in words on long codes and toll-free numbers.
define(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'], 'stop', null, true);
define(['START', 'UNSTOP'], 'start', null, true);
define(['HELP', 'INFO'], 'help', null, false);
define(['PARAR', 'PARE', 'DETENER', 'CANCELAR', 'BAJA', 'ALTO'], 'stop', 'es', false);
define(['COMENZAR', 'INICIAR'], 'start', 'es', false);
define(['AYUDA'], 'help', 'es', false);

/**
 * The keyword a text is, or null when it is anything else (a support message). A keyword is the WHOLE
 * message, in any case, with or without accents, surrounding spaces and punctuation ("Stop.", " stop "):
 * "please stop calling" is a person asking for something, not an opt-out.
 */
export function parseSmsKeyword(body: string): ParsedSmsKeyword | null {
  if (body.length > 40) return null;
  const word = body
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '')
    .toUpperCase();
  return Object.hasOwn(KEYWORDS, word) ? KEYWORDS[word]! : null;
}

export type SuppressionChannel = Suppression['channel'];
export type SuppressionReason = Suppression['reason'];
export type SuppressionScope = Suppression['scope'];

/** Emails are kept lower-cased, numbers as E.164: the same form patients' addresses are matched in. */
export function normalizeAddress(channel: SuppressionChannel, address: string): string {
  return channel === 'email' ? address.trim().toLowerCase() : address.trim();
}

/**
 * Adds an address to the suppression list, or strengthens it: `all` replaces `transition`, never the
 * other way round, and an existing entry of the same scope keeps its first reason and delivery (so a
 * staff or STOP entry is never turned into something START could lift).
 */
export async function suppress(
  db: DbOrTx,
  entry: {
    channel: SuppressionChannel;
    address: string;
    reason: SuppressionReason;
    scope: SuppressionScope;
    deliveryId?: number | null;
  },
): Promise<'created' | 'strengthened' | 'unchanged'> {
  const rows = await queryRows<{ created: boolean }>(
    db,
    sql`insert into suppressions (channel, address, reason, scope, delivery_id)
        values (${entry.channel}::outbox_channel, ${normalizeAddress(entry.channel, entry.address)},
                ${entry.reason}, ${entry.scope}, ${entry.deliveryId ?? null})
        on conflict (channel, address) do update
          set reason = excluded.reason, scope = excluded.scope,
              delivery_id = coalesce(excluded.delivery_id, suppressions.delivery_id)
          where suppressions.scope = 'transition' and excluded.scope = 'all'
        returning (xmax = 0) as created`,
  );
  if (rows.length === 0) return 'unchanged';
  return rows[0]!.created ? 'created' : 'strengthened';
}

/** Lifts the STOP entry of a number (a START); other entries (staff, …) stay. True when one was lifted. */
export async function unsuppressStop(db: DbOrTx, number: string): Promise<boolean> {
  const removed = await db
    .delete(suppressions)
    .where(
      and(
        eq(suppressions.channel, 'sms'),
        eq(suppressions.address, normalizeAddress('sms', number)),
        eq(suppressions.reason, 'stop'),
      ),
    )
    .returning({ address: suppressions.address });
  return removed.length > 0;
}

/**
 * Which of these addresses must not get a message, as given. For wave messages (the default) every
 * entry counts; for messages a patient asked for (sign-in codes, ticket notices) pass `scope: 'all'`
 * and only hard bounces, STOP and staff blocks do.
 */
export async function suppressedAddresses(
  db: DbOrTx,
  channel: SuppressionChannel,
  addresses: readonly string[],
  options: { scope?: 'transition' | 'all' } = {},
): Promise<Set<string>> {
  const byNormal = new Map<string, string[]>();
  for (const address of addresses) {
    const normal = normalizeAddress(channel, address);
    byNormal.set(normal, [...(byNormal.get(normal) ?? []), address]);
  }
  if (byNormal.size === 0) return new Set();
  const rows = await db
    .select({ address: suppressions.address })
    .from(suppressions)
    .where(
      and(
        eq(suppressions.channel, channel),
        inArray(suppressions.address, [...byNormal.keys()]),
        options.scope === 'all' ? eq(suppressions.scope, 'all') : undefined,
      ),
    );
  return new Set(rows.flatMap((r) => byNormal.get(r.address) ?? []));
}

/** How far back a STOP is put down to the wave text that went to the number (for its opt-out rate). */
const STOP_ATTRIBUTION_MS = 72 * 3_600_000;

export interface SmsKeywordOutcome {
  /** The patients who have this number (each one's consent changed and audited). */
  patientIds: string[];
}

/**
 * Applies a STOP or START texted from `from` (E.164), at once and in one transaction: every patient
 * with that number gets `sms_opt_in` false (STOP) or true (START), the number's STOP suppression is
 * added or lifted, and each patient's change is audited (booleans only, as the account page's own
 * changes are: never the number or the text).
 */
export async function applySmsKeyword(
  db: DbOrTx,
  input: { from: string; keyword: 'stop' | 'start'; now?: Date },
): Promise<SmsKeywordOutcome> {
  const at = input.now ?? new Date();
  const number = normalizeAddress('sms', input.from);
  const optIn = input.keyword === 'start';
  return db.transaction(async (tx) => {
    const holders = await tx
      .select({ id: patients.id, smsOptIn: patients.smsOptIn })
      .from(patients)
      .where(eq(patients.phone, number))
      .orderBy(patients.id)
      .for('update');
    const ids = holders.map((p) => p.id);
    if (ids.length > 0) {
      await tx.update(patients).set({ smsOptIn: optIn, updatedAt: at }).where(inArray(patients.id, ids));
    }
    if (optIn) {
      await unsuppressStop(tx, number);
    } else {
      // The wave text that most likely prompted the STOP, so the breaker sees the wave's opt-out rate.
      const [prompted] =
        ids.length > 0
          ? await tx
              .select({ id: waveDeliveries.id })
              .from(waveDeliveries)
              .where(
                and(
                  inArray(waveDeliveries.patientId, ids),
                  eq(waveDeliveries.channel, 'sms'),
                  gt(waveDeliveries.sentAt, new Date(at.getTime() - STOP_ATTRIBUTION_MS)),
                ),
              )
              .orderBy(desc(waveDeliveries.sentAt))
              .limit(1)
          : [];
      await suppress(tx, {
        channel: 'sms',
        address: number,
        reason: 'stop',
        scope: 'all',
        deliveryId: prompted?.id ?? null,
      });
    }
    for (const holder of holders) {
      await appendAudit(tx, {
        action: optIn ? 'patient.sms_opted_in' : 'patient.sms_opted_out',
        actorType: 'patient',
        actorId: holder.id,
        subjectType: 'patient',
        subjectId: holder.id,
        data: {
          via: 'sms_keyword',
          keyword: input.keyword,
          before: { smsOptIn: holder.smsOptIn },
          after: { smsOptIn: optIn },
        },
      });
    }
    return { patientIds: ids };
  });
}
