// A patient's own choices: news about the move by email and by text, and the language we use with them.
// Consent to texts matters legally (TCPA): each change is audited with the wording the patient agreed to.
import { eq } from 'drizzle-orm';
import { appendAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { patients } from '../db/schema/index.ts';

export type PreferenceLocale = 'en' | 'es';

export interface PatientPreferences {
  emailOptIn: boolean;
  smsOptIn: boolean;
  locale: PreferenceLocale;
}

export type PreferencesProblem = 'unknown_patient' | 'no_email' | 'no_phone';

export type PreferencesOutcome =
  { ok: true; changed: boolean; preferences: PatientPreferences } | { ok: false; reason: PreferencesProblem };

export interface PreferencesChangeContext {
  /** The exact words shown beside the text-message checkbox, kept when the patient turns texts on. */
  smsConsentWording?: string;
  now?: Date;
}

/**
 * Saves the patient's choices and audits what changed (booleans and language, never an address).
 * Opting in to a channel we have no address for is refused rather than stored: it could never be honoured.
 */
export async function updatePreferences(
  db: Db,
  patientId: string,
  wanted: PatientPreferences,
  context: PreferencesChangeContext = {},
): Promise<PreferencesOutcome> {
  const at = context.now ?? new Date();
  return db.transaction(async (tx): Promise<PreferencesOutcome> => {
    const [current] = await tx
      .select({
        emailOptIn: patients.emailOptIn,
        smsOptIn: patients.smsOptIn,
        locale: patients.locale,
        email: patients.email,
        phone: patients.phone,
      })
      .from(patients)
      .where(eq(patients.id, patientId))
      .for('update');
    if (!current) return { ok: false, reason: 'unknown_patient' };
    if (wanted.emailOptIn && !current.emailOptIn && !current.email) return { ok: false, reason: 'no_email' };
    if (wanted.smsOptIn && !current.smsOptIn && !current.phone) return { ok: false, reason: 'no_phone' };
    const before: PatientPreferences = {
      emailOptIn: current.emailOptIn,
      smsOptIn: current.smsOptIn,
      locale: current.locale,
    };
    const after: PatientPreferences = {
      emailOptIn: wanted.emailOptIn,
      smsOptIn: wanted.smsOptIn,
      locale: wanted.locale,
    };
    const changed =
      before.emailOptIn !== after.emailOptIn ||
      before.smsOptIn !== after.smsOptIn ||
      before.locale !== after.locale;
    if (!changed) return { ok: true, changed: false, preferences: before };
    await tx
      .update(patients)
      .set({ ...after, updatedAt: at })
      .where(eq(patients.id, patientId));
    const smsConsentGiven = after.smsOptIn && !before.smsOptIn;
    await appendAudit(tx, {
      action: 'patient.preferences_changed',
      actorType: 'patient',
      actorId: patientId,
      subjectType: 'patient',
      subjectId: patientId,
      data: {
        before,
        after,
        ...(smsConsentGiven && context.smsConsentWording
          ? { smsConsent: { wording: context.smsConsentWording, at: at.toISOString() } }
          : {}),
      },
    });
    return { ok: true, changed: true, preferences: after };
  });
}
