// Waves: what marketing schedules for a cohort. A wave is drafted by one staff member and approved by
// another, who sees the audience and the projected finish first; approval writes the delivery ledger
// (one row per patient and channel, each with its own send time in the patient's zone), which the
// workers then work through. Pause, resume and cancel act on the ledger, so nothing is sent twice.
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { pgArray, queryRows } from '../../db/pg-array.ts';
import {
  cohorts,
  waveDeliveries,
  waves,
  waveStage,
  type Cohort,
  type Wave,
  type WaveStage,
  type WaveState,
} from '../../db/schema/index.ts';
import { exclusionSql, suppressionJoin, type ExclusionReason } from './audience.ts';
import { projectFinish } from './projection.ts';
import { formatWaveTiming, parseWaveTiming, waveSendTimeFor, type WaveTiming } from './timing.ts';

export const waveStages = waveStage.enumValues;
export type WaveChannel = 'email' | 'sms';

export const stageLabels: Record<WaveStage, string> = {
  announcement: 'Announcement',
  reminder: 'Reminder',
  day_before: 'The day before',
  cutover_day: 'Cutover day',
  nudge: 'Nudge after cutover',
  last_call: 'Last call',
};

export const waveStateLabels: Record<WaveState, string> = {
  draft: 'Draft',
  scheduled: 'Approved and scheduled',
  sending: 'Sending',
  paused: 'Paused',
  done: 'Done',
  cancelled: 'Cancelled',
};

export interface WaveActor {
  type: 'staff' | 'cli' | 'system';
  id?: string | null;
}

export const waveInput = z.object({
  cohortId: z.string().uuid('Choose a cohort.'),
  name: z.string().trim().min(1, 'Give the wave a name.').max(120, 'Keep the name under 120 characters.'),
  stage: z.enum(waveStage.enumValues, { message: 'Choose what this wave says.' }),
  channels: z
    .array(z.enum(['email', 'sms']))
    .min(1, 'Choose email, text message or both.')
    .transform((list) => [...new Set(list)].sort() as WaveChannel[]),
  timing: z.string().trim().min(1, 'Say when it goes out, for example T-14d 09:00.'),
});
export type WaveInput = z.input<typeof waveInput>;

export type WaveInputResult =
  | { ok: true; wave: Wave }
  | { ok: false; reason: 'invalid'; errors: Record<string, string> }
  | { ok: false; reason: 'not_found' | 'not_draft' };

export interface AudienceCount {
  /** Patients who will get a message, per channel. */
  byChannel: Record<WaveChannel, number>;
  /** Patients left out, per channel and reason. */
  excluded: Record<WaveChannel, Partial<Record<ExclusionReason, number>>>;
  total: number;
}

export interface Projection {
  firstSendAt: Date | null;
  finishAt: Date | null;
  /** SMS held back until the recipient's quiet hours end. */
  deferredByQuietHours: number;
  /** Waves relative to a cutover date need the cohort to have one. */
  missingCutoverDate: boolean;
}

export type WaveActionResult =
  | { ok: true; wave: Wave }
  | {
      ok: false;
      reason: 'not_found' | 'wrong_state' | 'same_person' | 'no_cutover_date' | 'empty_audience' | 'in_past';
      wave?: Wave;
    };

export interface DeliveryCounts {
  byState: Record<string, number>;
  byChannel: Record<WaveChannel, Record<string, number>>;
}

export interface WaveReportRow {
  channel: WaveChannel;
  locale: string;
  total: number;
  sent: number;
  delivered: number;
  failed: number;
  skipped: number;
  unknown: number;
  pending: number;
  opened: number;
  signedIn: number;
}

export interface WavesDeps {
  db: Db;
  /** Per-channel throughput for the projection: email messages and SMS segments per second. */
  rates: { emailPerSecond: number; smsPerSecond: number };
  /** SMS segments per message for a stage (the longest language), from the SMS texts. */
  smsSegments: (stage: WaveStage) => number;
  /** Tells the workers there is (or will be) work: called on approval, resume and re-timing. */
  kick?: (at: Date) => Promise<void>;
  now?: () => Date;
}

export type Waves = ReturnType<typeof createWaves>;

export function createWaves(deps: WavesDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const kick = async (at: Date) => {
    await deps.kick?.(at);
  };

  async function find(id: string): Promise<Wave | null> {
    if (!z.string().uuid().safeParse(id).success) return null;
    const [wave] = await db.select().from(waves).where(eq(waves.id, id));
    return wave ?? null;
  }

  async function cohortOf(wave: Pick<Wave, 'cohortId'>): Promise<Cohort> {
    const [cohort] = await db.select().from(cohorts).where(eq(cohorts.id, wave.cohortId));
    return cohort!;
  }

  function timingOf(wave: Wave): WaveTiming {
    return wave.timing === 'absolute'
      ? { kind: 'absolute', sendAt: wave.sendAt! }
      : { kind: 'relative', offsetDays: wave.offsetDays!, localTime: wave.localTime! };
  }

  async function validate(input: WaveInput) {
    const parsed = waveInput.safeParse(input);
    const errors: Record<string, string> = {};
    if (!parsed.success)
      for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
    const timing = parseWaveTiming(String(input.timing ?? ''));
    if ('error' in timing) errors.timing ??= timing.error;
    if (parsed.success) {
      const [cohort] = await db
        .select({ id: cohorts.id })
        .from(cohorts)
        .where(eq(cohorts.id, parsed.data.cohortId));
      if (!cohort) errors.cohortId = 'That cohort does not exist.';
    }
    if (Object.keys(errors).length || !parsed.success || 'error' in timing)
      return { ok: false as const, errors };
    return { ok: true as const, data: parsed.data, timing };
  }

  function timingColumns(timing: WaveTiming) {
    return timing.kind === 'absolute'
      ? { timing: 'absolute' as const, sendAt: timing.sendAt, offsetDays: null, localTime: null }
      : {
          timing: 'relative' as const,
          sendAt: null,
          offsetDays: timing.offsetDays,
          localTime: timing.localTime,
        };
  }

  /** Each eligible patient and channel with its due time (null: relative, and no cutover date yet). */
  async function eligible(wave: Wave, cohort: Cohort) {
    const rows = await queryRows<{
      id: string;
      channel: WaveChannel;
      time_zone: string;
      phone: string | null;
      locale: string;
    }>(
      db,
      sql`select p.id, ch.channel, p.time_zone, p.phone, p.locale::text as locale
          from patients p
          cross join unnest(${pgArray(wave.channels)}::text[]) as ch(channel)
          ${suppressionJoin(sql`ch.channel`)}
          where p.cohort_id = ${wave.cohortId}
            and ${exclusionSql(wave.stage, sql`ch.channel`)} is null`,
    );
    const timing = timingOf(wave);
    return rows.map((row) => ({
      ...row,
      dueAt: waveSendTimeFor(timing, cohort.cutoverDate, row.time_zone),
    }));
  }

  async function project(wave: Wave): Promise<Projection> {
    const cohort = await cohortOf(wave);
    if (wave.timing === 'relative' && !cohort.cutoverDate)
      return { firstSendAt: null, finishAt: null, deferredByQuietHours: 0, missingCutoverDate: true };
    const items = await eligible(wave, cohort);
    return projectItems(wave, items);
  }

  function projectItems(
    wave: Wave,
    items: { channel: WaveChannel; dueAt: Date | null; time_zone: string; phone: string | null }[],
  ): Projection {
    const start = now();
    let firstSendAt: Date | null = null;
    let finishAt: Date | null = null;
    let deferred = 0;
    for (const channel of wave.channels) {
      const mine = items.filter((item) => item.channel === channel && item.dueAt);
      if (!mine.length) continue;
      const rate =
        channel === 'email'
          ? deps.rates.emailPerSecond
          : deps.rates.smsPerSecond / deps.smsSegments(wave.stage);
      const result = projectFinish({
        items: mine.map((item) => ({
          dueAt: item.dueAt!,
          recipient: { timeZone: item.time_zone, phone: item.phone },
        })),
        ratePerSecond: rate,
        quietHours: channel === 'sms',
        start,
      });
      deferred += result.deferredByQuietHours;
      const first = mine.reduce((min, item) => (item.dueAt! < min ? item.dueAt! : min), mine[0]!.dueAt!);
      const firstAt = first < start ? start : first;
      if (!firstSendAt || firstAt < firstSendAt) firstSendAt = firstAt;
      if (!finishAt || result.finishAt > finishAt) finishAt = result.finishAt;
    }
    return { firstSendAt, finishAt, deferredByQuietHours: deferred, missingCutoverDate: false };
  }

  async function audit(actor: WaveActor, action: string, wave: Wave, data: Record<string, unknown> = {}) {
    await appendAudit(db, {
      action,
      actorType: actor.type,
      actorId: actor.id ?? null,
      subjectType: 'wave',
      subjectId: wave.id,
      data: { name: wave.name, stage: wave.stage, cohortId: wave.cohortId, ...data },
    });
  }

  /** Moves a wave from one of `from` to `to` with a conditional update: one of two racing clicks wins. */
  async function transition(
    id: string,
    from: WaveState[],
    set: Partial<typeof waves.$inferInsert> & { state: WaveState },
  ): Promise<Wave | null> {
    const [updated] = await db
      .update(waves)
      .set({ ...set, updatedAt: now() })
      .where(and(eq(waves.id, id), inArray(waves.state, from)))
      .returning();
    return updated ?? null;
  }

  async function refusal(id: string, reason: 'wrong_state'): Promise<WaveActionResult> {
    const wave = await find(id);
    return wave ? { ok: false, reason, wave } : { ok: false, reason: 'not_found' };
  }

  return {
    find,
    timingText: (wave: Wave) => formatWaveTiming(timingOf(wave)),

    async list(filter: { cohortId?: string } = {}) {
      return db
        .select({ wave: waves, cohortName: cohorts.name, cutoverDate: cohorts.cutoverDate })
        .from(waves)
        .innerJoin(cohorts, eq(cohorts.id, waves.cohortId))
        .where(filter.cohortId ? eq(waves.cohortId, filter.cohortId) : undefined)
        .orderBy(desc(waves.createdAt));
    },

    async create(actor: WaveActor, input: WaveInput): Promise<WaveInputResult> {
      const checked = await validate(input);
      if (!checked.ok) return { ok: false, reason: 'invalid', errors: checked.errors };
      const [wave] = await db
        .insert(waves)
        .values({
          cohortId: checked.data.cohortId,
          name: checked.data.name,
          stage: checked.data.stage,
          channels: checked.data.channels,
          ...timingColumns(checked.timing),
          createdBy: actor.type === 'staff' ? (actor.id ?? null) : null,
        })
        .returning();
      await audit(actor, 'wave.created', wave!, { channels: wave!.channels, timing: input.timing });
      return { ok: true, wave: wave! };
    },

    /** Only a draft can change; the one who changes it counts as its author (another must approve). */
    async update(actor: WaveActor, id: string, input: WaveInput): Promise<WaveInputResult> {
      const existing = await find(id);
      if (!existing) return { ok: false, reason: 'not_found' };
      const checked = await validate(input);
      if (!checked.ok) return { ok: false, reason: 'invalid', errors: checked.errors };
      const updated = await transition(id, ['draft'], {
        state: 'draft',
        cohortId: checked.data.cohortId,
        name: checked.data.name,
        stage: checked.data.stage,
        channels: checked.data.channels,
        ...timingColumns(checked.timing),
        createdBy: actor.type === 'staff' ? (actor.id ?? null) : existing.createdBy,
      });
      if (!updated) return { ok: false, reason: 'not_draft' };
      await audit(actor, 'wave.edited', updated, { channels: updated.channels, timing: input.timing });
      return { ok: true, wave: updated };
    },

    /** How many patients each channel reaches, and who is left out and why. */
    async audience(id: string): Promise<AudienceCount | null> {
      const wave = await find(id);
      if (!wave) return null;
      const rows = await queryRows<{ channel: WaveChannel; excluded: ExclusionReason | null; n: number }>(
        db,
        sql`select ch.channel, ${exclusionSql(wave.stage, sql`ch.channel`)} as excluded, count(*)::int as n
            from patients p
            cross join unnest(${pgArray(wave.channels)}::text[]) as ch(channel)
            ${suppressionJoin(sql`ch.channel`)}
            where p.cohort_id = ${wave.cohortId}
            group by 1, 2`,
      );
      const count: AudienceCount = {
        byChannel: { email: 0, sms: 0 },
        excluded: { email: {}, sms: {} },
        total: 0,
      };
      for (const row of rows) {
        if (row.excluded) count.excluded[row.channel][row.excluded] = row.n;
        else {
          count.byChannel[row.channel] = row.n;
          count.total += row.n;
        }
      }
      return count;
    },

    projection: async (id: string) => {
      const wave = await find(id);
      return wave ? project(wave) : null;
    },

    /**
     * A second staff member approves: the ledger is written (one row per patient and channel, with
     * the patient's own send time) and the wave is scheduled, in one transaction.
     */
    async approve(actor: WaveActor, id: string): Promise<WaveActionResult> {
      const wave = await find(id);
      if (!wave) return { ok: false, reason: 'not_found' };
      if (wave.state !== 'draft') return { ok: false, reason: 'wrong_state', wave };
      if (actor.type === 'staff' && actor.id && actor.id === wave.createdBy)
        return { ok: false, reason: 'same_person', wave };
      const cohort = await cohortOf(wave);
      if (wave.timing === 'relative' && !cohort.cutoverDate)
        return { ok: false, reason: 'no_cutover_date', wave };
      const items = await eligible(wave, cohort);
      if (!items.length) return { ok: false, reason: 'empty_audience', wave };
      const latest = items.reduce((max, item) => (item.dueAt! > max ? item.dueAt! : max), items[0]!.dueAt!);
      // A wave whose every send time has passed (a day late) would go out at once, at odd hours.
      if (latest.getTime() < now().getTime() - 60 * 60_000) return { ok: false, reason: 'in_past', wave };
      const projection = projectItems(wave, items);
      const approved = await db.transaction(async (tx) => {
        const [updated] = await tx
          .update(waves)
          .set({
            state: 'scheduled',
            approvedBy: actor.type === 'staff' ? (actor.id ?? null) : null,
            approvedAt: now(),
            audienceCount: items.length,
            projectedFinishAt: projection.finishAt,
            updatedAt: now(),
          })
          .where(and(eq(waves.id, id), eq(waves.state, 'draft')))
          .returning();
        if (!updated) return null;
        for (let i = 0; i < items.length; i += 5_000) {
          const batch = items.slice(i, i + 5_000);
          await tx.execute(sql`
            insert into wave_deliveries (wave_id, patient_id, channel, send_at, locale)
            select ${id}, v.patient_id, v.channel::outbox_channel, v.send_at, v.locale
            from unnest(${pgArray(batch.map((item) => item.id))}::uuid[],
                        ${pgArray(batch.map((item) => item.channel))}::text[],
                        ${pgArray(batch.map((item) => item.dueAt!.toISOString()))}::timestamptz[],
                        ${pgArray(batch.map((item) => item.locale))}::text[])
                 as v(patient_id, channel, send_at, locale)
            on conflict (wave_id, patient_id, channel) do nothing`);
        }
        return updated;
      });
      if (!approved) return refusal(id, 'wrong_state');
      // Fresh statistics, so the workers' claims use the due-time index from the first batch (the
      // embedded database never analyses on its own; PostgreSQL would, but only after a while).
      await db.execute(sql`analyze wave_deliveries`);
      await audit(actor, 'wave.approved', approved, {
        audience: items.length,
        projectedFinishAt: projection.finishAt?.toISOString() ?? null,
      });
      await kick(projection.firstSendAt ?? now());
      return { ok: true, wave: approved };
    },

    async pause(actor: WaveActor, id: string, reason: 'staff' | 'circuit_breaker' = 'staff') {
      const paused = await transition(id, ['scheduled', 'sending'], {
        state: 'paused',
        pausedReason: reason,
        pausedAt: now(),
      });
      if (!paused) return refusal(id, 'wrong_state');
      await audit(actor, 'wave.paused', paused, { reason });
      return { ok: true as const, wave: paused };
    },

    async resume(actor: WaveActor, id: string): Promise<WaveActionResult> {
      const wave = await find(id);
      if (!wave) return { ok: false, reason: 'not_found' };
      const resumed = await transition(id, ['paused'], {
        state: wave.startedAt ? 'sending' : 'scheduled',
        pausedReason: null,
        pausedAt: null,
      });
      if (!resumed) return { ok: false, reason: 'wrong_state', wave };
      await audit(actor, 'wave.resumed', resumed);
      await kick(now());
      return { ok: true, wave: resumed };
    },

    /** Stops a wave for good: what has not gone out is skipped (reason `cancelled`). */
    async cancel(actor: WaveActor, id: string): Promise<WaveActionResult> {
      const cancelled = await db.transaction(async (tx) => {
        const [updated] = await tx
          .update(waves)
          .set({ state: 'cancelled', cancelledAt: now(), updatedAt: now() })
          .where(and(eq(waves.id, id), inArray(waves.state, ['draft', 'scheduled', 'sending', 'paused'])))
          .returning();
        if (!updated) return null;
        await tx
          .update(waveDeliveries)
          .set({ state: 'skipped', reason: 'cancelled', claimToken: null, updatedAt: now() })
          .where(and(eq(waveDeliveries.waveId, id), inArray(waveDeliveries.state, ['pending', 'claimed'])));
        return updated;
      });
      if (!cancelled) return refusal(id, 'wrong_state');
      await audit(actor, 'wave.cancelled', cancelled);
      return { ok: true, wave: cancelled };
    },

    /**
     * The cohort's cutover date moved: every delivery not yet claimed of its relative waves gets its
     * new send time (in each patient's zone). Returns how many were re-timed.
     */
    async retimeCohort(cohortId: string): Promise<number> {
      const [cohort] = await db.select().from(cohorts).where(eq(cohorts.id, cohortId));
      if (!cohort?.cutoverDate) return 0;
      const open = await db
        .select()
        .from(waves)
        .where(
          and(
            eq(waves.cohortId, cohortId),
            eq(waves.timing, 'relative'),
            inArray(waves.state, ['scheduled', 'sending', 'paused']),
          ),
        );
      let retimed = 0;
      for (const wave of open) {
        const pending = await queryRows<{ id: number; time_zone: string }>(
          db,
          sql`select d.id, p.time_zone from wave_deliveries d join patients p on p.id = d.patient_id
              where d.wave_id = ${wave.id} and d.state = 'pending'`,
        );
        const timing = timingOf(wave);
        for (let i = 0; i < pending.length; i += 5_000) {
          const batch = pending.slice(i, i + 5_000);
          await db.execute(sql`
            update wave_deliveries d set send_at = v.send_at, updated_at = now()
            from unnest(${pgArray(batch.map((row) => row.id))}::bigint[],
                        ${pgArray(batch.map((row) => waveSendTimeFor(timing, cohort.cutoverDate, row.time_zone)!.toISOString()))}::timestamptz[])
                 as v(id, send_at)
            where d.id = v.id and d.state = 'pending'`);
        }
        retimed += pending.length;
        if (pending.length) {
          const projection = await project(wave);
          await db
            .update(waves)
            .set({ projectedFinishAt: projection.finishAt, updatedAt: now() })
            .where(eq(waves.id, wave.id));
          await audit({ type: 'system' }, 'wave.retimed', wave, {
            cutoverDate: cohort.cutoverDate,
            deliveries: pending.length,
          });
        }
      }
      if (retimed) await kick(now());
      return retimed;
    },

    async counts(id: string): Promise<DeliveryCounts> {
      const rows = await db
        .select({
          channel: waveDeliveries.channel,
          state: waveDeliveries.state,
          n: sql<number>`count(*)::int`,
        })
        .from(waveDeliveries)
        .where(eq(waveDeliveries.waveId, id))
        .groupBy(waveDeliveries.channel, waveDeliveries.state);
      const counts: DeliveryCounts = { byState: {}, byChannel: { email: {}, sms: {} } };
      for (const row of rows) {
        counts.byState[row.state] = (counts.byState[row.state] ?? 0) + row.n;
        counts.byChannel[row.channel][row.state] = row.n;
      }
      return counts;
    },

    /** Sent, delivered, failed, opened the link and signed in afterwards, by channel and language. */
    async report(id: string): Promise<WaveReportRow[]> {
      return queryRows<WaveReportRow>(
        db,
        sql`select d.channel::text as channel, coalesce(d.locale, 'en') as locale,
              count(*)::int as total,
              count(*) filter (where d.state in ('sent', 'delivered'))::int as sent,
              count(*) filter (where d.state = 'delivered')::int as delivered,
              count(*) filter (where d.state = 'failed')::int as failed,
              count(*) filter (where d.state = 'skipped')::int as skipped,
              count(*) filter (where d.state = 'unknown')::int as unknown,
              count(*) filter (where d.state in ('pending', 'claimed', 'sending'))::int as pending,
              count(*) filter (where d.opened_at is not null)::int as "opened",
              count(*) filter (where d.sent_at is not null and p.last_sign_in_at >= d.sent_at)::int as "signedIn"
            from wave_deliveries d join patients p on p.id = d.patient_id
            where d.wave_id = ${id}
            group by 1, 2 order by 1, 2`,
      );
    },

    /** Deliveries whose worker died mid-send with nothing to tell whether they left: staff decide. */
    async unknowns(id: string, limit = 200) {
      return db
        .select({
          id: waveDeliveries.id,
          patientId: waveDeliveries.patientId,
          channel: waveDeliveries.channel,
          claimedAt: waveDeliveries.claimedAt,
        })
        .from(waveDeliveries)
        .where(and(eq(waveDeliveries.waveId, id), eq(waveDeliveries.state, 'unknown')))
        .orderBy(asc(waveDeliveries.id))
        .limit(limit);
    },

    /**
     * Staff settle the unknown deliveries of a wave: `sent` when they know they left (the provider's
     * console shows them), `resend` to send them again (accepting a possible second copy).
     */
    async settleUnknown(actor: WaveActor, id: string, decision: 'sent' | 'resend') {
      const wave = await find(id);
      if (!wave) return { ok: false as const, reason: 'not_found' as const };
      const changed = await db
        .update(waveDeliveries)
        .set(
          decision === 'sent'
            ? { state: 'sent', reason: 'settled_by_staff', updatedAt: now() }
            : {
                state: 'pending',
                claimToken: null,
                sendAt: now(),
                reason: 'resent_by_staff',
                updatedAt: now(),
              },
        )
        .where(and(eq(waveDeliveries.waveId, id), eq(waveDeliveries.state, 'unknown')))
        .returning({ id: waveDeliveries.id });
      if (decision === 'resend' && changed.length && ['done'].includes(wave.state))
        await transition(id, ['done'], { state: 'sending', finishedAt: null });
      await audit(actor, 'wave.unknown_settled', wave, { decision, deliveries: changed.length });
      if (decision === 'resend' && changed.length) await kick(now());
      return { ok: true as const, count: changed.length };
    },
  };
}
