// Waves end to end below HTTP: the audience, approval by a second person, the ledger, and sending
// through a real SMTP server (smtp-server, parsed with mailparser) and the real Twilio SDK against a
// loopback Twilio, with workers that die at the worst moments.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/pg-array.ts';
import {
  cohorts,
  patients,
  staff,
  suppressions,
  waveDeliveries,
  waves as wavesTable,
} from '../../db/schema/index.ts';
import { defaultBrand } from '../../emails/brand.ts';
import { smsSegments } from '../../emails/sms.ts';
import { createLogger } from '../../infra/logger.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { startSmtpServer, type TestSmtpServer } from '../../test/support/smtp.ts';
import { startTwilioServer, type TestTwilioServer } from '../../test/support/twilio.ts';
import { zonesNow } from '../../test/support/waves.ts';
import { createEmailChannel } from '../channels/email.ts';
import { createSmsChannel } from '../channels/sms.ts';
import { createDeliveryTokens, deliveryIdFromMessageId } from '../delivery-tokens.ts';
import { checkBreaker } from './breaker.ts';
import { createDispatcher, type DispatchHooks } from './dispatch.ts';
import { isWithinSmsWindow } from './quiet-hours.ts';
import { createWaves } from './waves.ts';

const database = privateTestDatabase();
const logger = createLogger({ level: 'silent' });
const tokens = createDeliveryTokens('a-test-secret-that-is-long-enough-1234');
const publicUrl = 'https://portal.harbor.example';
let smtp: TestSmtpServer;
let twilio: TestTwilioServer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  twilio = await startTwilioServer();
});
afterAll(async () => {
  await smtp.close();
  await twilio.close();
});
beforeEach(() => {
  smtp.messages.length = 0;
  twilio.messages.length = 0;
});

const transports: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
});

function channels(mode: 'real' | 'outbox') {
  const email = createEmailChannel({
    smtpUrl: mode === 'real' ? smtp.url : undefined,
    from: '"Harbor Health" <no-reply@harbor.example>',
    db: database.db,
    logger,
  });
  const sms = createSmsChannel({
    twilio:
      mode === 'real'
        ? {
            accountSid: twilio.accountSid,
            authToken: twilio.authToken,
            messagingServiceSid: undefined,
            fromNumber: '+15550100100',
            apiBaseUrl: twilio.baseUrl,
          }
        : null,
    db: database.db,
    logger,
  });
  transports.push(email, sms);
  return { email, sms };
}

function dispatcher(
  options: {
    mode?: 'real' | 'outbox';
    hooks?: DispatchHooks;
    smsPerSecond?: number;
    concurrency?: number;
  } = {},
) {
  const { email, sms } = channels(options.mode ?? 'real');
  return createDispatcher({
    db: database.db,
    email,
    sms,
    tokens,
    brand: defaultBrand,
    publicUrl,
    mailFrom: '"Harbor Health" <no-reply@harbor.example>',
    unsubscribeAddress: 'unsubscribe@harbor.example',
    settings: {
      rates: { email: 1_000, sms: options.smsPerSecond ?? 1_000 },
      concurrency: options.concurrency ?? 20,
      claimStaleMs: 60_000,
      maxAttempts: 3,
    },
    logger,
    hooks: options.hooks,
    statusCallbacks: (options.mode ?? 'real') === 'real',
  });
}

function service() {
  return createWaves({
    db: database.db,
    rates: { emailPerSecond: 1_000, smsPerSecond: 1_000 },
    smsSegments: () => 1,
  });
}

type Dispatcher = ReturnType<typeof dispatcher>;

/** Runs batches until nothing is due. */
async function drain(d: Dispatcher) {
  for (let i = 0; i < 1_000; i++) {
    const [a, b] = await Promise.all([d.runBatch('email'), d.runBatch('sms')]);
    if (!a.claimed && !b.claimed) return;
  }
  throw new Error('the ledger never drained');
}

async function twoStaff() {
  const [author, approver] = await database.db
    .insert(staff)
    .values([
      { email: `author-${randomUUID()}@harbor.example`, role: 'marketing', passwordHash: 'x' },
      { email: `approver-${randomUUID()}@harbor.example`, role: 'admin', passwordHash: 'x' },
    ])
    .returning();
  return {
    author: { type: 'staff' as const, id: author!.id },
    approver: { type: 'staff' as const, id: approver!.id },
  };
}

async function cohort(cutoverDate = '2027-03-15') {
  const [row] = await database.db
    .insert(cohorts)
    .values({ name: `cohort-${randomUUID()}`, cutoverDate })
    .returning();
  return row!;
}

let counter = 0;
async function patient(cohortId: string, overrides: Partial<typeof patients.$inferInsert> = {}) {
  counter++;
  const email = overrides.email === undefined ? `patient${counter}@example.org` : overrides.email;
  const [row] = await database.db
    .insert(patients)
    .values({
      legacyId: `L${counter}-${randomUUID()}`,
      email,
      emailNormalized: email?.toLowerCase() ?? null,
      phone: `+1212555${String(1000 + counter).slice(-4)}`,
      givenName: 'Maria',
      cohortId,
      emailOptIn: true,
      smsOptIn: true,
      ...overrides,
    })
    .returning();
  return row!;
}

async function approvedWave(input: {
  cohortId: string;
  stage?: 'announcement' | 'cutover_day' | 'nudge' | 'last_call';
  channels?: ('email' | 'sms')[];
  timing?: string;
}) {
  const waves = service();
  const { author, approver } = await twoStaff();
  const created = await waves.create(author, {
    cohortId: input.cohortId,
    name: 'Test wave',
    stage: input.stage ?? 'announcement',
    channels: input.channels ?? ['email'],
    timing: input.timing ?? new Date(Date.now() - 60_000).toISOString(),
  });
  if (!created.ok) throw new Error(JSON.stringify(created));
  const approved = await waves.approve(approver, created.wave.id);
  if (!approved.ok) throw new Error(`approval refused: ${approved.reason}`);
  return { waves, wave: approved.wave, author, approver };
}

async function ledger(waveId: string) {
  return database.db.select().from(waveDeliveries).where(eq(waveDeliveries.waveId, waveId));
}

describe('audience and approval', () => {
  it('counts who hears a wave and who is left out, and why', async () => {
    const c = await cohort();
    await patient(c.id);
    await patient(c.id, { emailOptIn: false });
    await patient(c.id, { email: null });
    await patient(c.id, { state: 'closed' });
    const suppressed = await patient(c.id);
    await database.db.insert(suppressions).values({
      channel: 'email',
      address: suppressed.emailNormalized!,
      reason: 'unsubscribe',
      scope: 'transition',
    });
    await patient(c.id, { state: 'bridged' });
    await patient(c.id, { flags: ['duplicate_email'] });

    const waves = service();
    const { author } = await twoStaff();
    const announce = await waves.create(author, {
      cohortId: c.id,
      name: 'Announcement',
      stage: 'announcement',
      channels: ['email'],
      timing: 'T-14d 09:00',
    });
    const nudge = await waves.create(author, {
      cohortId: c.id,
      name: 'Nudge',
      stage: 'nudge',
      channels: ['email'],
      timing: 'T+3d 10:00',
    });
    expect(announce.ok && nudge.ok).toBe(true);
    if (!announce.ok || !nudge.ok) return;

    const a = await waves.audience(announce.wave.id);
    expect(a!.byChannel.email).toBe(3); // the plain one, the bridged one, the flagged one
    expect(a!.excluded.email).toEqual({ no_consent: 1, no_address: 1, closed: 1, suppressed: 1 });

    const n = await waves.audience(nudge.wave.id);
    expect(n!.byChannel.email).toBe(1);
    expect(n!.excluded.email).toMatchObject({ already_signed_in: 1, flagged: 1 });
  });

  it('explains what is wrong with a draft instead of saving it', async () => {
    const waves = service();
    const c = await cohort();
    const result = await waves.create(
      { type: 'cli' },
      {
        cohortId: c.id,
        name: '',
        stage: 'announcement',
        channels: [],
        timing: 'next tuesday',
      },
    );
    expect(result.ok).toBe(false);
    if (result.ok || result.reason !== 'invalid') return;
    expect(Object.keys(result.errors).sort()).toEqual(['channels', 'name', 'timing']);
  });

  it('needs a second person to approve, and writes one ledger row per patient and channel in their own zone', async () => {
    const c = await cohort('2027-03-15');
    const ny = await patient(c.id, { timeZone: 'America/New_York' });
    const la = await patient(c.id, { timeZone: 'America/Los_Angeles', locale: 'es' });
    const waves = service();
    const { author, approver } = await twoStaff();
    const created = await waves.create(author, {
      cohortId: c.id,
      name: 'Day before',
      stage: 'day_before',
      channels: ['email', 'sms'],
      timing: 'T-1d 09:00',
    });
    if (!created.ok) throw new Error('not created');

    const own = await waves.approve(author, created.wave.id);
    expect(own).toMatchObject({ ok: false, reason: 'same_person' });
    expect(await ledger(created.wave.id)).toHaveLength(0);

    const projection = await waves.projection(created.wave.id);
    expect(projection!.finishAt).not.toBeNull();

    const approved = await waves.approve(approver, created.wave.id);
    expect(approved).toMatchObject({ ok: true, wave: { state: 'scheduled', audienceCount: 4 } });
    const rows = await ledger(created.wave.id);
    expect(rows).toHaveLength(4);
    // 2027-03-14 09:00 local, the day US clocks spring forward: EDT (UTC-4) and PDT (UTC-7).
    const at = (patientId: string) => [
      ...new Set(rows.filter((r) => r.patientId === patientId).map((r) => r.sendAt.toISOString())),
    ];
    expect(at(ny.id)).toEqual(['2027-03-14T13:00:00.000Z']);
    expect(at(la.id)).toEqual(['2027-03-14T16:00:00.000Z']);

    // Approving twice does nothing more.
    expect(await waves.approve(approver, created.wave.id)).toMatchObject({
      ok: false,
      reason: 'wrong_state',
    });
    expect(await ledger(created.wave.id)).toHaveLength(4);
  });

  it('re-times pending deliveries when the cutover date moves, across a DST change', async () => {
    const c = await cohort('2027-03-15');
    const p = await patient(c.id, { timeZone: 'America/New_York' });
    const { waves, wave } = await approvedWave({ cohortId: c.id, timing: 'T 09:00' });
    expect((await ledger(wave.id))[0]!.sendAt.toISOString()).toBe('2027-03-15T13:00:00.000Z');

    await database.db.update(cohorts).set({ cutoverDate: '2027-03-08' }).where(eq(cohorts.id, c.id));
    expect(await waves.retimeCohort(c.id)).toBe(1);
    const [row] = await ledger(wave.id);
    expect(row!.patientId).toBe(p.id);
    // A week earlier is before the change: EST, UTC-5.
    expect(row!.sendAt.toISOString()).toBe('2027-03-08T14:00:00.000Z');
  });
});

describe('sending', () => {
  it('sends each patient one email with unsubscribe headers, in their language, and marks them notified', async () => {
    const c = await cohort();
    const en = await patient(c.id);
    const es = await patient(c.id, { locale: 'es', givenName: 'José' });
    const { wave } = await approvedWave({ cohortId: c.id });
    await drain(dispatcher());

    expect(smtp.messages).toHaveLength(2);
    const toEn = smtp.messages.find((m) => m.envelope.to.includes(en.email!))!;
    const toEs = smtp.messages.find((m) => m.envelope.to.includes(es.email!))!;
    expect(toEs.parsed.html).toContain('lang="es"');
    expect(toEs.parsed.text).toContain('José');
    expect(toEn.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    const listUnsubscribe = toEn.raw
      .match(/^List-Unsubscribe:[ \t]*(.*(?:\r?\n[ \t].*)*)/im)![1]!
      .replace(/\r?\n[ \t]/g, ' ');
    expect(listUnsubscribe).toMatch(/<mailto:unsubscribe@harbor\.example\?subject=unsubscribe%20[\w.-]+>/);
    expect(listUnsubscribe).toMatch(/<https:\/\/portal\.harbor\.example\/unsubscribe\/[\w.-]+>/);
    // A bounce quoting the Message-ID finds the delivery.
    const rows = await ledger(wave.id);
    const mine = rows.find((r) => r.patientId === en.id)!;
    expect(deliveryIdFromMessageId(tokens, toEn.parsed.messageId!)).toBe(mine.id);
    const link = /https:\/\/portal\.harbor\.example\/cw\/([\w.-]+)/.exec(toEn.parsed.text!)![1]!;
    expect(tokens.verify('open', link)).toBe(mine.id);

    expect(rows.every((r) => r.state === 'sent' && r.sentAt && r.providerMessageId)).toBe(true);
    const states = await database.db
      .select({ state: patients.state })
      .from(patients)
      .where(eq(patients.cohortId, c.id));
    expect(states.map((s) => s.state)).toEqual(['notified', 'notified']);

    const d = dispatcher();
    expect(await d.finishWaves()).toContain(wave.id);
    const [done] = await database.db.select().from(wavesTable).where(eq(wavesTable.id, wave.id));
    expect(done!.state).toBe('done');
  });

  it('texts only inside the recipient’s daytime window and holds the rest until morning', async () => {
    const { day, night } = zonesNow();
    const c = await cohort();
    const awake = await patient(c.id, { timeZone: day });
    const asleep = await patient(c.id, { timeZone: night });
    expect(isWithinSmsWindow(new Date(), { timeZone: night, phone: asleep.phone })).toBe(false);
    const { wave } = await approvedWave({ cohortId: c.id, channels: ['sms'] });
    await drain(dispatcher());

    expect(twilio.messages.map((m) => m.to)).toEqual([awake.phone]);
    expect(twilio.messages[0]!.statusCallback).toMatch(/\/webhooks\/twilio\/status\?d=\d+$/);
    const rows = await ledger(wave.id);
    const held = rows.find((r) => r.patientId === asleep.id)!;
    expect(held).toMatchObject({ state: 'pending', reason: 'quiet_hours' });
    expect(held.sendAt.getTime()).toBeGreaterThan(Date.now());
    expect(isWithinSmsWindow(held.sendAt, { timeZone: night, phone: asleep.phone })).toBe(true);
  });

  it('retries what the provider could not take now, and stops at what it refuses', async () => {
    const { day } = zonesNow();
    const c = await cohort();
    await patient(c.id, { timeZone: day });
    await patient(c.id, { timeZone: day });
    const { wave } = await approvedWave({ cohortId: c.id, channels: ['sms'] });
    twilio.failNext({ status: 429, code: 20429 });
    twilio.failNext({ status: 400, code: 21610 });
    await dispatcher({ concurrency: 1 }).runBatch('sms', 2);

    const rows = await ledger(wave.id);
    expect(rows.map((r) => r.state).sort()).toEqual(['failed', 'pending']);
    const retry = rows.find((r) => r.state === 'pending')!;
    expect(retry.attempts).toBe(1);
    expect(retry.reason).toContain('429');
    expect(retry.sendAt.getTime()).toBeGreaterThan(Date.now());
    expect(rows.find((r) => r.state === 'failed')!.reason).toContain('21610');
    expect(twilio.messages).toHaveLength(0);
  });

  it('skips a patient who withdrew consent after approval', async () => {
    const c = await cohort();
    const p = await patient(c.id);
    const { wave } = await approvedWave({ cohortId: c.id });
    await database.db.update(patients).set({ emailOptIn: false }).where(eq(patients.id, p.id));
    await drain(dispatcher());
    expect(smtp.messages).toHaveLength(0);
    expect(await ledger(wave.id)).toMatchObject([{ state: 'skipped', reason: 'no_consent' }]);
  });

  it('pauses, resumes and cancels without sending anyone two copies', async () => {
    const c = await cohort();
    for (let i = 0; i < 6; i++) await patient(c.id);
    const { waves, wave, approver } = await approvedWave({ cohortId: c.id });
    const d = dispatcher({ concurrency: 2 });
    await d.runBatch('email', 2);
    expect(smtp.messages).toHaveLength(2);

    expect((await waves.pause(approver, wave.id)).ok).toBe(true);
    expect((await d.runBatch('email')).claimed).toBe(0);
    expect(smtp.messages).toHaveLength(2);

    expect((await waves.resume(approver, wave.id)).ok).toBe(true);
    await d.runBatch('email', 2);
    expect(smtp.messages).toHaveLength(4);

    expect((await waves.cancel(approver, wave.id)).ok).toBe(true);
    await drain(d);
    expect(smtp.messages).toHaveLength(4);
    const recipients = smtp.messages.map((m) => m.envelope.to[0]);
    expect(new Set(recipients).size).toBe(4);
    const rows = await ledger(wave.id);
    expect(rows.filter((r) => r.state === 'sent')).toHaveLength(4);
    expect(rows.filter((r) => r.state === 'skipped' && r.reason === 'cancelled')).toHaveLength(2);
  });

  it('keeps the shared pace across two workers', async () => {
    const { day } = zonesNow();
    const c = await cohort();
    for (let i = 0; i < 24; i++) await patient(c.id, { timeZone: day });
    const { wave } = await approvedWave({ cohortId: c.id, channels: ['sms'] });
    const a = dispatcher({ smsPerSecond: 20, concurrency: 4 });
    const b = dispatcher({ smsPerSecond: 20, concurrency: 4 });
    const started = Date.now();
    await Promise.all([drain(a), drain(b)]);
    const elapsed = Date.now() - started;
    expect(twilio.messages).toHaveLength(24);
    expect(new Set(twilio.messages.map((m) => m.to)).size).toBe(24);
    // The pace counts segments: 24 texts of n segments at 20 segments a second cannot all leave
    // before (24 - 1) × n / 20 seconds (the first starts at once).
    const segments = smsSegments(twilio.messages[0]!.body).segments;
    expect(elapsed).toBeGreaterThanOrEqual(((24 - 1) * segments * 1000) / 20 - 50);
    expect((await ledger(wave.id)).every((r) => r.state === 'sent')).toBe(true);
  });
});

describe('workers that die', () => {
  const never = () => new Promise<void>(() => {});

  async function ageClaims(waveId: string) {
    await database.db.execute(
      sql`update wave_deliveries set claimed_at = now() - interval '1 hour' where wave_id = ${waveId}`,
    );
  }

  it('between claim and send: the claim is handed back and sent once by another worker', async () => {
    const c = await cohort();
    for (let i = 0; i < 5; i++) await patient(c.id);
    const { wave } = await approvedWave({ cohortId: c.id });
    const dead = dispatcher({ hooks: { afterClaim: never } });
    void dead.runBatch('email', 3);
    await waitFor(async () => (await ledger(wave.id)).filter((r) => r.state === 'claimed').length === 3);

    const alive = dispatcher();
    await drain(alive);
    expect(smtp.messages).toHaveLength(2); // the other two; the dead worker's three are still held

    await ageClaims(wave.id);
    expect(await alive.reconcile()).toMatchObject({ released: 3, unknown: 0 });
    await drain(alive);
    expect(smtp.messages).toHaveLength(5);
    expect(new Set(smtp.messages.map((m) => m.envelope.to[0])).size).toBe(5);
    expect((await ledger(wave.id)).every((r) => r.state === 'sent')).toBe(true);
  });

  it('between send and record: nothing is resent; what cannot be known is reported as unknown', async () => {
    const c = await cohort();
    for (let i = 0; i < 4; i++) await patient(c.id);
    const { waves, wave, approver } = await approvedWave({ cohortId: c.id });
    const dead = dispatcher({ hooks: { afterSend: never } });
    void dead.runBatch('email', 4);
    await waitFor(async () => smtp.messages.length === 4);
    expect((await ledger(wave.id)).every((r) => r.state === 'sending')).toBe(true);

    const alive = dispatcher();
    await ageClaims(wave.id);
    expect(await alive.reconcile()).toMatchObject({ unknown: 4 });
    await drain(alive);
    expect(smtp.messages).toHaveLength(4);
    expect(await waves.unknowns(wave.id)).toHaveLength(4);
    expect((await waves.report(wave.id))[0]).toMatchObject({ unknown: 4, sent: 0 });

    // Staff who checked the mail server's log settle them as sent.
    expect(await waves.settleUnknown(approver, wave.id, 'sent')).toEqual({ ok: true, count: 4 });
    expect((await waves.report(wave.id))[0]).toMatchObject({ unknown: 0, sent: 4 });
  });

  it('between send and record with the outbox: the outbox row tells what was sent and what was not', async () => {
    const { day } = zonesNow();
    const c = await cohort();
    for (let i = 0; i < 3; i++) await patient(c.id, { timeZone: day });
    const { wave } = await approvedWave({ cohortId: c.id, channels: ['email', 'sms'] });
    const dead = dispatcher({ mode: 'outbox', hooks: { afterSend: never } });
    void dead.runBatch('email', 3);
    void dead.runBatch('sms', 3);
    await waitFor(async () => (await ledger(wave.id)).filter((r) => r.state === 'sending').length === 6);
    await waitFor(async () => {
      const [row] = await queryRows<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from outbox where kind = 'wave'`,
      );
      return row!.n === 6;
    });

    const alive = dispatcher({ mode: 'outbox' });
    await ageClaims(wave.id);
    expect(await alive.reconcile()).toMatchObject({ recovered: 6, unknown: 0 });
    await drain(alive);
    const [outboxCount] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from outbox where kind = 'wave'`,
    );
    expect(outboxCount!.n).toBe(6);
    expect((await ledger(wave.id)).every((r) => r.state === 'sent')).toBe(true);
  });
});

describe('circuit breaker', () => {
  it('pauses waves that push people to sign in when sign-ins fail, and leaves the others', async () => {
    const c = await cohort();
    await patient(c.id);
    const push = await approvedWave({ cohortId: c.id, stage: 'cutover_day' });
    const inform = await approvedWave({ cohortId: c.id, stage: 'announcement' });
    const settings = { windowMs: 15 * 60_000, signInFailureRate: 0.5, optOutRate: 0.02, minSample: 50 };

    await database.db.execute(sql`insert into sign_in_tallies (minute, outcome, count)
      values (date_trunc('minute', now()), 'success', 30), (date_trunc('minute', now()), 'failure', 20)`);
    expect((await checkBreaker(database.db, push.waves, settings)).paused).toEqual([]);

    await database.db.execute(sql`update sign_in_tallies set count = 70 where outcome = 'failure'`);
    const { reading, paused } = await checkBreaker(database.db, push.waves, settings);
    expect(reading.tripped).toBe('sign_in_failures');
    expect(paused).toEqual([push.wave.id]);
    const states = await database.db
      .select({ id: wavesTable.id, state: wavesTable.state, reason: wavesTable.pausedReason })
      .from(wavesTable);
    expect(states.find((w) => w.id === push.wave.id)).toMatchObject({
      state: 'paused',
      reason: 'circuit_breaker',
    });
    expect(states.find((w) => w.id === inform.wave.id)).toMatchObject({ state: 'scheduled' });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not met in time');
}
