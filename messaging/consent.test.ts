import { randomBytes } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../db/audit.ts';
import {
  auditEvents,
  cohorts,
  patients,
  suppressions,
  waveDeliveries,
  waves,
  type NewPatient,
} from '../db/schema/index.ts';
import { privateTestDatabase } from '../test/support/db.ts';
import {
  applySmsKeyword,
  parseSmsKeyword,
  suppress,
  suppressedAddresses,
  unsuppressStop,
} from './consent.ts';

const database = privateTestDatabase();

beforeEach(async () => {
  // Tables this area owns, in case the shared reset does not empty them.
  await database.db.execute(sql`truncate suppressions, inbound_messages, wave_deliveries, waves cascade`);
});

let counter = 0;
async function newPatient(values: Partial<NewPatient> = {}) {
  counter += 1;
  const [row] = await database.db
    .insert(patients)
    .values({ legacyId: `C-${counter}-${randomBytes(3).toString('hex')}`, ...values })
    .returning();
  return row!;
}

async function smsWaveDelivery(patientId: string, sentAt: Date) {
  const [cohort] = await database.db
    .insert(cohorts)
    .values({ name: `cohort ${randomBytes(4).toString('hex')}` })
    .returning();
  const [wave] = await database.db
    .insert(waves)
    .values({
      cohortId: cohort!.id,
      name: 'Reminder',
      stage: 'reminder',
      channels: ['sms'],
      timing: 'absolute',
    })
    .returning();
  const [delivery] = await database.db
    .insert(waveDeliveries)
    .values({ waveId: wave!.id, patientId, channel: 'sms', state: 'sent', sendAt: sentAt, sentAt })
    .returning();
  return delivery!;
}

describe('parseSmsKeyword', () => {
  it.each([
    ['STOP', 'stop', null],
    [' stop ', 'stop', null],
    ['Stop.', 'stop', null],
    ['stop!!', 'stop', null],
    ['STOPALL', 'stop', null],
    ['unsubscribe', 'stop', null],
    ['Cancel', 'stop', null],
    ['end', 'stop', null],
    ['QUIT', 'stop', null],
    ['revoke', 'stop', null],
    ['OptOut', 'stop', null],
    ['START', 'start', null],
    ['unstop', 'start', null],
    ['HELP', 'help', null],
    ['Info', 'help', null],
    ['PARAR', 'stop', 'es'],
    ['pare', 'stop', 'es'],
    ['Detener', 'stop', 'es'],
    ['CANCELAR', 'stop', 'es'],
    ['baja', 'stop', 'es'],
    ['alto', 'stop', 'es'],
    ['Comenzar', 'start', 'es'],
    ['INICIAR', 'start', 'es'],
    ['ayuda', 'help', 'es'],
    ['AYÚDA', 'help', 'es'],
    ['¡Ayuda!', 'help', 'es'],
    ['\n\tSTOP\r\n', 'stop', null],
  ])('%j is the keyword %s (language %s)', (body, keyword, language) => {
    expect(parseSmsKeyword(body)).toMatchObject({ keyword, language });
  });

  it.each([
    'please stop calling',
    'stop please',
    'STOP ALL',
    'S T O P',
    'stopp',
    'YES',
    'no',
    'help me with my refill',
    'necesito ayuda',
    '',
    '   ',
    '.',
    `STOP${' '.repeat(100)}x`,
  ])('%j is a support message, not a keyword', (body) => {
    expect(parseSmsKeyword(body)).toBeNull();
  });

  it('knows which words Twilio itself acts on (it answers those; ours get our own answer)', () => {
    expect(parseSmsKeyword('stop')!.handledByTwilio).toBe(true);
    expect(parseSmsKeyword('unstop')!.handledByTwilio).toBe(true);
    expect(parseSmsKeyword('parar')!.handledByTwilio).toBe(false);
    expect(parseSmsKeyword('comenzar')!.handledByTwilio).toBe(false);
  });
});

describe('suppressions', () => {
  it('keeps emails lower-cased and answers which given addresses are suppressed, as given', async () => {
    expect(
      await suppress(database.db, {
        channel: 'email',
        address: ' Maria.Lopez@Example.org ',
        reason: 'unsubscribe',
        scope: 'transition',
      }),
    ).toBe('created');
    const [row] = await database.db.select().from(suppressions);
    expect(row).toMatchObject({
      channel: 'email',
      address: 'maria.lopez@example.org',
      reason: 'unsubscribe',
      scope: 'transition',
      deliveryId: null,
    });
    const found = await suppressedAddresses(database.db, 'email', [
      'MARIA.LOPEZ@example.org',
      'someone@example.org',
    ]);
    expect([...found]).toEqual(['MARIA.LOPEZ@example.org']);
    // Messages the patient asked for (sign-in codes) only stop for `all` entries.
    expect(
      await suppressedAddresses(database.db, 'email', ['maria.lopez@example.org'], { scope: 'all' }),
    ).toEqual(new Set());
    expect(await suppressedAddresses(database.db, 'sms', ['maria.lopez@example.org'])).toEqual(new Set());
    expect(await suppressedAddresses(database.db, 'email', [])).toEqual(new Set());
  });

  it('strengthens transition to all, never weakens all, and keeps the first reason of a scope', async () => {
    const address = 'ana@example.org';
    expect(
      await suppress(database.db, { channel: 'email', address, reason: 'complaint', scope: 'transition' }),
    ).toBe('created');
    expect(
      await suppress(database.db, { channel: 'email', address, reason: 'unsubscribe', scope: 'transition' }),
    ).toBe('unchanged');
    expect(
      await suppress(database.db, {
        channel: 'email',
        address,
        reason: 'hard_bounce',
        scope: 'all',
        deliveryId: 41,
      }),
    ).toBe('strengthened');
    expect(
      await suppress(database.db, { channel: 'email', address, reason: 'unsubscribe', scope: 'transition' }),
    ).toBe('unchanged');
    const rows = await database.db.select().from(suppressions);
    expect(rows).toEqual([
      expect.objectContaining({ address, reason: 'hard_bounce', scope: 'all', deliveryId: 41 }),
    ]);
  });

  it('lifts only a STOP on START: a block staff put on a number stays', async () => {
    await suppress(database.db, { channel: 'sms', address: '+12025550111', reason: 'stop', scope: 'all' });
    await suppress(database.db, { channel: 'sms', address: '+12025550112', reason: 'staff', scope: 'all' });
    expect(await unsuppressStop(database.db, '+12025550111')).toBe(true);
    expect(await unsuppressStop(database.db, '+12025550111')).toBe(false);
    expect(await unsuppressStop(database.db, '+12025550112')).toBe(false);
    expect((await database.db.select().from(suppressions)).map((s) => s.address)).toEqual(['+12025550112']);
  });
});

describe('applySmsKeyword', () => {
  it('STOP turns texts off for everyone with the number, suppresses it, and audits each patient', async () => {
    const phone = '+12025550123';
    const mother = await newPatient({ phone, smsOptIn: true });
    const son = await newPatient({ phone, smsOptIn: false });
    const other = await newPatient({ phone: '+12025550999', smsOptIn: true });
    const recent = await smsWaveDelivery(mother.id, new Date(Date.now() - 3_600_000));

    const outcome = await applySmsKeyword(database.db, { from: phone, keyword: 'stop' });
    expect(outcome.patientIds.sort()).toEqual([mother.id, son.id].sort());

    const optIns = await database.db
      .select({ id: patients.id, smsOptIn: patients.smsOptIn })
      .from(patients)
      .orderBy(asc(patients.legacyId));
    expect(Object.fromEntries(optIns.map((p) => [p.id, p.smsOptIn]))).toEqual({
      [mother.id]: false,
      [son.id]: false,
      [other.id]: true,
    });
    expect(await database.db.select().from(suppressions)).toEqual([
      expect.objectContaining({
        channel: 'sms',
        address: phone,
        reason: 'stop',
        scope: 'all',
        // Put down to the wave text the number got an hour ago (the wave's opt-out rate).
        deliveryId: recent.id,
      }),
    ]);
    const events = await database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
    expect(events.map((e) => [e.action, e.actorType, e.actorId, e.subjectId, e.data])).toEqual(
      expect.arrayContaining([
        [
          'patient.sms_opted_out',
          'patient',
          mother.id,
          mother.id,
          { via: 'sms_keyword', keyword: 'stop', before: { smsOptIn: true }, after: { smsOptIn: false } },
        ],
        [
          'patient.sms_opted_out',
          'patient',
          son.id,
          son.id,
          { via: 'sms_keyword', keyword: 'stop', before: { smsOptIn: false }, after: { smsOptIn: false } },
        ],
      ]),
    );
    expect(events).toHaveLength(2);
    // Neither the number nor any text reaches the audit log.
    expect(JSON.stringify(events)).not.toContain('2025550123');
    expect(await verifyAuditChain(database.db)).toEqual({ ok: true, checked: 2 });
  });

  it('START turns texts back on and lifts the STOP', async () => {
    const phone = '+12025550124';
    const patient = await newPatient({ phone, smsOptIn: true });
    await applySmsKeyword(database.db, { from: phone, keyword: 'stop' });
    await applySmsKeyword(database.db, { from: phone, keyword: 'start' });
    const [after] = await database.db.select().from(patients).where(eq(patients.id, patient.id));
    expect(after!.smsOptIn).toBe(true);
    expect(await database.db.select().from(suppressions)).toEqual([]);
    const actions = await database.db
      .select({ action: auditEvents.action, data: auditEvents.data })
      .from(auditEvents)
      .orderBy(asc(auditEvents.seq));
    expect(actions).toEqual([
      {
        action: 'patient.sms_opted_out',
        data: { via: 'sms_keyword', keyword: 'stop', before: { smsOptIn: true }, after: { smsOptIn: false } },
      },
      {
        action: 'patient.sms_opted_in',
        data: {
          via: 'sms_keyword',
          keyword: 'start',
          before: { smsOptIn: false },
          after: { smsOptIn: true },
        },
      },
    ]);
  });

  it('STOP from a number nobody has still suppresses it, with nothing to audit', async () => {
    const outcome = await applySmsKeyword(database.db, { from: '+12025550125', keyword: 'stop' });
    expect(outcome.patientIds).toEqual([]);
    expect(await database.db.select().from(suppressions)).toEqual([
      expect.objectContaining({ address: '+12025550125', reason: 'stop', scope: 'all', deliveryId: null }),
    ]);
    expect(await database.db.select().from(auditEvents)).toEqual([]);
  });

  it('does not put a STOP down to a wave text sent days ago', async () => {
    const phone = '+12025550126';
    const patient = await newPatient({ phone, smsOptIn: true });
    await smsWaveDelivery(patient.id, new Date(Date.now() - 5 * 86_400_000));
    await applySmsKeyword(database.db, { from: phone, keyword: 'stop' });
    const [row] = await database.db.select().from(suppressions);
    expect(row!.deliveryId).toBeNull();
  });
});
