// What the staff pages for waves show, worked out on the server from the waves service: plain words for
// states, timings and refusals, the preview grid, and each wave's figures. Counts only: no patient is
// named, so viewing a wave is not a read of personal data.
import type { AppLoadContext } from '@remix-run/node';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { cohorts, staff, waveDeliveries, type Wave } from '../../db/schema/index.ts';
import { roles } from './staff-roles.ts';
import {
  renderTransitionEmail,
  transitionSmsPreview,
  transitionSubject,
} from '../../messaging/waves/preview.ts';
import { readBreaker } from '../../messaging/waves/breaker.ts';
import { exclusionLabels, exclusionReasons } from '../../messaging/waves/audience.ts';
import {
  stageLabels,
  waveStages,
  waveStateLabels,
  type WaveActionResult,
  type WaveChannel,
  type WaveInput,
} from '../../messaging/waves/waves.ts';

/** Marketing writes and runs waves; an admin may too. Support and clinical staff never see them. */
export const waveRoles = roles.manageWaves;

type Services = AppLoadContext['services'];
type Locale = 'en' | 'es';

const channels: readonly WaveChannel[] = ['email', 'sms'];
const channelLabels: Record<WaveChannel, string> = { email: 'Email', sms: 'Text message' };
const localeLabels: Record<string, string> = { en: 'English', es: 'Spanish' };

/** A delivery link as long as the longest real one (an id in base 36, a dot, 22 characters of MAC). */
const SAMPLE_TOKEN = 'q1w2e3r4t5y6u.A1b2C3d4E5f6G7h8I9j0K1';

export const stamp = (at: Date | null | undefined): string | null =>
  at ? `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC` : null;

const count = (n: number) => n.toLocaleString('en-US');

/** The cohort select and the stage select of the wave form. */
export async function formChoices(services: Services) {
  const list = await services.database.db
    .select({ id: cohorts.id, name: cohorts.name, cutoverDate: cohorts.cutoverDate })
    .from(cohorts)
    .orderBy(cohorts.name);
  return {
    cohorts: list,
    stages: waveStages.map((stage) => ({ value: stage, label: stageLabels[stage] })),
  };
}

/** What was typed into the wave form. The service checks every field and answers in plain words. */
export function waveFormInput(form: FormData) {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : '';
  };
  const typed = {
    cohortId: text('cohortId'),
    name: text('name'),
    stage: text('stage'),
    channels: form.getAll('channels').filter((v): v is string => typeof v === 'string'),
    timing: text('timing'),
  };
  // The service's own zod schema refuses a stage or channel that is not one of its own.
  return { typed, input: typed as WaveInput };
}

/** "T-14d 09:00 in each patient's time zone", or the instant for everyone. */
export function describeTiming(wave: Wave, timingText: string, cutoverDate: string | null): string {
  if (wave.timing === 'absolute') return `${stamp(wave.sendAt)} for everyone (${timingText})`;
  const days = wave.offsetDays ?? 0;
  const when =
    days === 0
      ? 'on the cutover day'
      : `${Math.abs(days)} ${Math.abs(days) === 1 ? 'day' : 'days'} ${days < 0 ? 'before' : 'after'} the cutover date`;
  const anchor = cutoverDate ? ` (${cutoverDate})` : ' (not set yet)';
  return `${timingText} in each patient's time zone: ${when}${anchor}, at ${wave.localTime}`;
}

/** Whether the wave speaks after the cutover (the dispatcher's rule: it picks the template the same way). */
function speaksAfterCutover(wave: Wave, cutoverDate: string | null): boolean {
  if (wave.timing === 'relative') return (wave.offsetDays ?? 0) > 0;
  if (!cutoverDate || !wave.sendAt) return false;
  return wave.sendAt.toISOString().slice(0, 10) > cutoverDate;
}

/** How much of each wave's ledger is finished (sent, delivered, failed or skipped), in one query. */
async function progressOf(services: Services, ids: string[]) {
  const progress = new Map<string, { total: number; done: number }>();
  if (!ids.length) return progress;
  const rows = await services.database.db
    .select({
      waveId: waveDeliveries.waveId,
      total: sql<number>`count(*)::int`,
      done: sql<number>`(count(*) filter (where ${waveDeliveries.state} in ('sent', 'delivered', 'failed', 'skipped')))::int`,
    })
    .from(waveDeliveries)
    .where(inArray(waveDeliveries.waveId, ids))
    .groupBy(waveDeliveries.waveId);
  for (const row of rows) progress.set(row.waveId, { total: row.total, done: row.done });
  return progress;
}

export async function listWaves(services: Services, cohortId: string | undefined) {
  const { waves } = services;
  const rows = await waves.list({ cohortId });
  const progress = await progressOf(
    services,
    rows.filter((r) => r.wave.state !== 'draft').map((r) => r.wave.id),
  );
  // A draft has no ledger yet: its audience is counted now (one grouped query each).
  const draftAudience = new Map(
    await Promise.all(
      rows
        .filter((r) => r.wave.state === 'draft')
        .map(async (r) => [r.wave.id, (await waves.audience(r.wave.id))?.total ?? 0] as const),
    ),
  );
  return rows.map(({ wave, cohortName, cutoverDate }) => {
    const done = progress.get(wave.id) ?? { total: 0, done: 0 };
    const draft = wave.state === 'draft';
    return {
      id: wave.id,
      name: wave.name,
      cohortName,
      stageLabel: stageLabels[wave.stage],
      channels: wave.channels.map((c) => channelLabels[c]).join(' and '),
      timing:
        wave.timing === 'absolute'
          ? `${stamp(wave.sendAt)} for everyone`
          : `${waves.timingText(wave)} in each patient's time zone`,
      cutoverDate,
      state: wave.state,
      stateLabel: waveStateLabels[wave.state],
      pausedByBreaker: wave.state === 'paused' && wave.pausedReason === 'circuit_breaker',
      audience: draft ? (draftAudience.get(wave.id) ?? 0) : (wave.audienceCount ?? done.total),
      audienceCounted: draft ? 'now' : 'at approval',
      total: done.total,
      done: done.done,
      projectedFinish:
        wave.state === 'draft'
          ? null
          : wave.state === 'cancelled'
            ? 'Cancelled'
            : wave.state === 'done'
              ? `Finished ${stamp(wave.finishedAt) ?? ''}`.trim()
              : (stamp(wave.projectedFinishAt) ?? 'Not known'),
    };
  });
}

export async function cohortOptions(services: Services) {
  return services.database.db
    .select({ id: cohorts.id, name: cohorts.name })
    .from(cohorts)
    .orderBy(cohorts.name);
}

/** The texts and subjects of a stage in both languages, before and after cutover, per channel. */
export function previewGrid(services: Services, wave: Wave, cutoverDate: string | null) {
  const { brand, publicUrl } = services.config;
  const base = publicUrl.replace(/\/+$/, '');
  const link = `${base}/cw/${SAMPLE_TOKEN}`;
  const after = speaksAfterCutover(wave, cutoverDate);
  const rows = [];
  for (const locale of ['en', 'es'] as const)
    for (const afterCutover of [false, true]) {
      const sms = transitionSmsPreview({ stage: wave.stage, locale, brand, link, cutoverDate, afterCutover });
      rows.push({
        key: `${locale}-${afterCutover ? 'after' : 'before'}`,
        locale,
        language: localeLabels[locale]!,
        afterCutover,
        moment: afterCutover ? 'after cutover' : 'before cutover',
        used: afterCutover === after,
        email: wave.channels.includes('email')
          ? {
              subject: transitionSubject(wave.stage, locale, brand, afterCutover),
              src: `/staff/waves/${wave.id}/preview?locale=${locale}&after=${afterCutover ? 1 : 0}`,
            }
          : null,
        sms: wave.channels.includes('sms')
          ? {
              text: sms.text,
              encoding: sms.encoding,
              segments: sms.segments,
              characters: [...sms.text].length,
            }
          : null,
      });
    }
  return { rows, usedMoment: after ? 'after cutover' : 'before cutover' };
}

/** The whole email as a patient would get it, with sample links that lead nowhere real. */
export async function renderPreviewEmail(
  services: Services,
  wave: Pick<Wave, 'stage' | 'cohortId'>,
  locale: Locale,
  afterCutover: boolean,
) {
  const { brand, publicUrl } = services.config;
  const base = publicUrl.replace(/\/+$/, '');
  const [cohort] = await services.database.db
    .select({ cutoverDate: cohorts.cutoverDate })
    .from(cohorts)
    .where(eq(cohorts.id, wave.cohortId));
  const email = await renderTransitionEmail({
    stage: wave.stage,
    brand,
    locale,
    cutoverDate: cohort?.cutoverDate ?? null,
    afterCutover,
    portalUrl: base,
    link: `${base}/cw/preview`,
    unsubscribeUrl: `${base}/unsubscribe/preview`,
    givenName: 'Maria',
    assetBaseUrl: base,
  });
  return email.html;
}

const refusals: Record<Exclude<WaveActionResult, { ok: true }>['reason'], string> = {
  not_found: 'That wave no longer exists.',
  same_person: 'Another person must approve what you wrote.',
  no_cutover_date:
    "This wave is timed from the cohort's cutover date, and the cohort has no cutover date yet. An admin can set it on the Cohorts page, or give the wave an exact date and time.",
  empty_audience:
    'Nobody in this cohort can get this wave on the chosen channels, so there is nothing to schedule. See who is left out and why under Audience.',
  in_past:
    'Every send time of this wave has already passed. Change its timing to a time that is still to come.',
  wrong_state:
    'Someone else changed this wave while you were looking, so nothing changed. Here it is as it is now.',
};

export function describeRefusal(reason: keyof typeof refusals): string {
  return refusals[reason];
}

/** What the header says happens next, in the wave's state. */
function nextStep(wave: Wave, facts: { nextDueAt: Date | null; unknown: number }): string {
  switch (wave.state) {
    case 'draft':
      return 'Nothing is sent yet. Another person checks the messages and the audience below, then approves it; each patient then gets their message at their own send time.';
    case 'scheduled':
      return facts.nextDueAt
        ? `Approved. The first messages go out ${stamp(facts.nextDueAt)}${wave.projectedFinishAt ? `; the last by about ${stamp(wave.projectedFinishAt)}` : ''}. You can pause or cancel it until then.`
        : 'Approved. Messages go out at each patient’s send time.';
    case 'sending':
      return `Sending now${wave.projectedFinishAt ? `; the last messages should go by about ${stamp(wave.projectedFinishAt)}` : ''}. You can pause it at any time.`;
    case 'paused':
      return wave.pausedReason === 'circuit_breaker'
        ? 'Paused by the safety switch. Nothing more is sent until a person resumes it.'
        : `Paused${wave.pausedAt ? ` since ${stamp(wave.pausedAt)}` : ''}. Nothing more is sent until someone resumes it.`;
    case 'done':
      return facts.unknown
        ? `Finished ${stamp(wave.finishedAt) ?? ''}, but for ${count(facts.unknown)} messages we do not know whether they left. Decide about them below.`
        : `Finished${wave.finishedAt ? ` ${stamp(wave.finishedAt)}` : ''}. The report below shows how it went.`;
    case 'cancelled':
      return `Cancelled${wave.cancelledAt ? ` ${stamp(wave.cancelledAt)}` : ''}. Messages not sent by then will never be sent.`;
  }
}

const deliveryStates = [
  { key: 'pending', label: 'Waiting for their send time', states: ['pending'] },
  { key: 'sending', label: 'Being sent now', states: ['claimed', 'sending'] },
  { key: 'sent', label: 'Sent', states: ['sent'] },
  { key: 'delivered', label: 'Delivered', states: ['delivered'] },
  { key: 'failed', label: 'Could not be sent', states: ['failed'] },
  { key: 'skipped', label: 'Skipped (opted out, signed in, or cancelled)', states: ['skipped'] },
  { key: 'unknown', label: 'Not known whether sent', states: ['unknown'] },
] as const;

/** Everything the wave page shows, for one viewer. */
export async function wavePage(services: Services, wave: Wave, viewerId: string) {
  const { waves, database, config } = services;
  const { db } = database;
  const [cohort] = await db.select().from(cohorts).where(eq(cohorts.id, wave.cohortId));
  const cutoverDate = cohort?.cutoverDate ?? null;
  const draft = wave.state === 'draft';
  const people = [wave.createdBy, wave.approvedBy].filter((id): id is string => !!id);
  const [audience, projection, counts, report, firstUnknown, staffRows, nextDue, breaker] = await Promise.all(
    [
      waves.audience(wave.id),
      draft ? waves.projection(wave.id) : null,
      draft ? null : waves.counts(wave.id),
      draft ? [] : waves.report(wave.id),
      draft ? [] : waves.unknowns(wave.id, 1),
      people.length
        ? db.select({ id: staff.id, email: staff.email }).from(staff).where(inArray(staff.id, people))
        : [],
      wave.state === 'scheduled'
        ? db
            .select({ at: sql<Date | null>`min(${waveDeliveries.sendAt})`.mapWith(waveDeliveries.sendAt) })
            .from(waveDeliveries)
            .where(and(eq(waveDeliveries.waveId, wave.id), eq(waveDeliveries.state, 'pending')))
        : [],
      wave.state === 'paused' && wave.pausedReason === 'circuit_breaker'
        ? readBreaker(db, config.waves.breaker)
        : null,
    ],
  );
  const emailOf = (id: string | null) => staffRows.find((p) => p.id === id)?.email ?? null;
  const unknownCount = counts?.byState.unknown ?? 0;

  const timingText = waves.timingText(wave);
  const progress = counts && {
    total: Object.values(counts.byState).reduce((a, b) => a + b, 0),
    done: ['sent', 'delivered', 'failed', 'skipped'].reduce((a, s) => a + (counts.byState[s] ?? 0), 0),
    rows: deliveryStates.map((row) => {
      const of = (byState: Record<string, number>) => row.states.reduce((a, s) => a + (byState[s] ?? 0), 0);
      return {
        key: row.key,
        label: row.label,
        byChannel: wave.channels.map((c) => of(counts.byChannel[c])),
        total: of(counts.byState),
      };
    }),
  };

  const reportRows = report.map((r) => ({
    ...r,
    channel: channelLabels[r.channel],
    language: localeLabels[r.locale] ?? r.locale,
  }));
  const funnel = wave.channels.map((c) => {
    const mine = report.filter((r) => r.channel === c);
    const sum = (key: 'sent' | 'delivered' | 'opened' | 'signedIn') => mine.reduce((a, r) => a + r[key], 0);
    return {
      channel: channelLabels[c],
      steps: [
        { label: 'Sent', n: sum('sent') },
        { label: 'Delivered', n: sum('delivered') },
        { label: 'Opened the link', n: sum('opened') },
        { label: 'Signed in', n: sum('signedIn') },
      ],
    };
  });

  const breakerWindowMinutes = Math.round(config.waves.breaker.windowMs / 60_000);
  return {
    wave: {
      id: wave.id,
      name: wave.name,
      state: wave.state,
      stateLabel: waveStateLabels[wave.state],
      stage: wave.stage,
      stageLabel: stageLabels[wave.stage],
      channels: wave.channels,
      channelNames: wave.channels.map((c) => channelLabels[c]),
      timingText,
      timing: describeTiming(wave, timingText, cutoverDate),
      relative: wave.timing === 'relative',
      cohortId: wave.cohortId,
      cohortName: cohort?.name ?? '',
      cutoverDate,
      writtenBy: emailOf(wave.createdBy),
      writtenByViewer: wave.createdBy === viewerId,
      approvedBy: emailOf(wave.approvedBy),
      approvedAt: stamp(wave.approvedAt),
      audienceAtApproval: wave.audienceCount,
      next: nextStep(wave, { nextDueAt: nextDue[0]?.at ?? null, unknown: unknownCount }),
    },
    form: draft
      ? {
          cohortId: wave.cohortId,
          name: wave.name,
          stage: wave.stage as string,
          channels: wave.channels as string[],
          timing: timingText,
        }
      : null,
    preview: previewGrid(services, wave, cutoverDate),
    audience: audience && {
      total: audience.total,
      channels: wave.channels.map((c) => ({
        channel: c,
        label: channelLabels[c],
        included: audience.byChannel[c],
        excluded: exclusionReasons
          .filter((reason) => (audience.excluded[c][reason] ?? 0) > 0)
          .map((reason) => ({ reason, label: exclusionLabels[reason], n: audience.excluded[c][reason]! })),
      })),
    },
    projection: projection && {
      firstSend: stamp(projection.firstSendAt),
      finish: stamp(projection.finishAt),
      deferredByQuietHours: projection.deferredByQuietHours,
      missingCutoverDate: projection.missingCutoverDate,
    },
    progress,
    report: reportRows,
    funnel,
    unknown:
      counts && unknownCount
        ? {
            total: unknownCount,
            byChannel: channels
              .map((c) => ({ label: channelLabels[c], n: counts.byChannel[c].unknown ?? 0 }))
              .filter((c) => c.n > 0),
            since: stamp(firstUnknown[0]?.claimedAt),
          }
        : null,
    breaker: breaker && {
      windowMinutes: breakerWindowMinutes,
      signIns: {
        attempts: breaker.signIns.success + breaker.signIns.failure,
        failed: breaker.signIns.failure,
        rate: percent(breaker.signIns.failureRate),
        limit: percent(config.waves.breaker.signInFailureRate),
      },
      optOuts: {
        sent: breaker.optOuts.sent,
        optedOut: breaker.optOuts.optedOut,
        rate: percent(breaker.optOuts.rate),
        limit: percent(config.waves.breaker.optOutRate),
      },
      minSample: config.waves.breaker.minSample,
      stillTripped: breaker.tripped !== null,
      pausedAt: stamp(wave.pausedAt),
    },
  };
}

const percent = (rate: number) => `${(Math.round(rate * 1000) / 10).toLocaleString('en-US')}%`;
