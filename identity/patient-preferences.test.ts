import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditEvents, patients } from '../db/schema/index.ts';
import { verifyAuditChain } from '../db/audit.ts';
import { privateTestDatabase } from '../test/support/db.ts';
import { updatePreferences } from './patient-preferences.ts';

const database = privateTestDatabase();

async function newPatient(values: Partial<typeof patients.$inferInsert> = {}) {
  const id = randomBytes(4).toString('hex');
  const [row] = await database.db
    .insert(patients)
    .values({
      legacyId: `PREF-${id}`,
      email: `pref.${id}@example.org`,
      emailNormalized: `pref.${id}@example.org`,
      phone: '+12025550147',
      ...values,
    })
    .returning();
  return row!;
}

async function stored(id: string) {
  const [row] = await database.db
    .select({ emailOptIn: patients.emailOptIn, smsOptIn: patients.smsOptIn, locale: patients.locale })
    .from(patients)
    .where(eq(patients.id, id));
  return row;
}

const audits = () =>
  database.db
    .select({ action: auditEvents.action, actorId: auditEvents.actorId, data: auditEvents.data })
    .from(auditEvents)
    .where(eq(auditEvents.action, 'patient.preferences_changed'));

describe('updatePreferences', () => {
  it('saves the choices and audits before and after, with the wording agreed to for texts', async () => {
    const patient = await newPatient();
    const at = new Date('2026-03-02T15:00:00Z');
    const outcome = await updatePreferences(
      database.db,
      patient.id,
      { emailOptIn: true, smsOptIn: true, locale: 'es' },
      { smsConsentWording: '[en] Text me updates about the move. Reply STOP to stop.', now: at },
    );
    expect(outcome).toEqual({
      ok: true,
      changed: true,
      preferences: { emailOptIn: true, smsOptIn: true, locale: 'es' },
    });
    expect(await stored(patient.id)).toEqual({ emailOptIn: true, smsOptIn: true, locale: 'es' });
    const events = await audits();
    expect(events).toEqual([
      {
        action: 'patient.preferences_changed',
        actorId: patient.id,
        data: {
          before: { emailOptIn: false, smsOptIn: false, locale: 'en' },
          after: { emailOptIn: true, smsOptIn: true, locale: 'es' },
          smsConsent: {
            wording: '[en] Text me updates about the move. Reply STOP to stop.',
            at: '2026-03-02T15:00:00.000Z',
          },
        },
      },
    ]);
    // The audit row names choices, never where messages go.
    const text = JSON.stringify(events);
    expect(text).not.toContain(patient.email!);
    expect(text).not.toContain('2025550147');
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });

  it('keeps no consent wording when texts are turned off, and audits nothing when nothing changed', async () => {
    const patient = await newPatient({ smsOptIn: true, emailOptIn: true });
    const off = await updatePreferences(
      database.db,
      patient.id,
      { emailOptIn: true, smsOptIn: false, locale: 'en' },
      { smsConsentWording: 'ignored' },
    );
    expect(off).toMatchObject({ ok: true, changed: true });
    const same = await updatePreferences(database.db, patient.id, {
      emailOptIn: true,
      smsOptIn: false,
      locale: 'en',
    });
    expect(same).toEqual({
      ok: true,
      changed: false,
      preferences: { emailOptIn: true, smsOptIn: false, locale: 'en' },
    });
    expect((await audits()).map((e) => e.data)).toEqual([
      {
        before: { emailOptIn: true, smsOptIn: true, locale: 'en' },
        after: { emailOptIn: true, smsOptIn: false, locale: 'en' },
      },
    ]);
  });

  it('refuses to opt in to a channel with no address on file, and changes nothing', async () => {
    const noPhone = await newPatient({ phone: null });
    expect(
      await updatePreferences(database.db, noPhone.id, { emailOptIn: true, smsOptIn: true, locale: 'en' }),
    ).toEqual({ ok: false, reason: 'no_phone' });
    const noEmail = await newPatient({ email: null, emailNormalized: null });
    expect(
      await updatePreferences(database.db, noEmail.id, { emailOptIn: true, smsOptIn: false, locale: 'en' }),
    ).toEqual({ ok: false, reason: 'no_email' });
    expect(await stored(noPhone.id)).toEqual({ emailOptIn: false, smsOptIn: false, locale: 'en' });
    expect(await audits()).toEqual([]);
  });

  it('answers unknown_patient for an id that is no patient', async () => {
    expect(
      await updatePreferences(database.db, '00000000-0000-4000-8000-000000000000', {
        emailOptIn: false,
        smsOptIn: false,
        locale: 'en',
      }),
    ).toEqual({ ok: false, reason: 'unknown_patient' });
  });
});
