// The first-sign-in welcome step: the patient confirms the contact details on file, may choose a new
// password, and picks a language. Every part is optional: care is never blocked by it.
import { dictionary } from '@zxcvbn-ts/language-common';
import { eq, sql } from 'drizzle-orm';
import { appendAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { patientCredentials, patients } from '../db/schema/index.ts';
import { bounds } from './credentials/bounds.ts';
import { hashPassword } from './passwords.ts';

export const MIN_PASSWORD_LENGTH = 8;
const common = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'mismatch';

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, confirmation: string): PasswordProblem | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (Buffer.byteLength(password) > bounds.maxPasswordBytes) return 'too_long';
  if (common.has(password.toLowerCase())) return 'common';
  if (password !== confirmation) return 'mismatch';
  return null;
}

export interface WelcomeAnswers {
  /** 'yes' the contact details are right, 'no' something is wrong (support reviews), or unanswered. */
  contactCorrect?: 'yes' | 'no';
  newPassword?: string;
  confirmPassword?: string;
  locale?: 'en' | 'es';
}

export function createPatientWelcome(deps: { db: Db; now?: () => Date }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    async complete(
      patientId: string,
      answers: WelcomeAnswers,
    ): Promise<{ ok: true } | { ok: false; problem: PasswordProblem }> {
      const newPassword = answers.newPassword ?? '';
      if (newPassword) {
        const problem = passwordProblem(newPassword, answers.confirmPassword ?? '');
        if (problem) return { ok: false, problem };
      }
      const encoded = newPassword ? await hashPassword(newPassword) : null;
      const at = now();
      await db.transaction(async (tx) => {
        if (encoded) {
          await tx
            .insert(patientCredentials)
            .values({
              patientId,
              family: 'argon2id',
              encoded,
              usable: true,
              origin: 'causeway',
              updatedAt: at,
            })
            .onConflictDoUpdate({
              target: patientCredentials.patientId,
              set: {
                family: 'argon2id',
                encoded,
                params: null,
                usable: true,
                origin: 'causeway',
                updatedAt: at,
              },
            });
          await appendAudit(tx, {
            action: 'patient.password_changed',
            actorType: 'patient',
            actorId: patientId,
            subjectType: 'patient',
            subjectId: patientId,
            data: { during: 'welcome' },
          });
        }
        if (answers.locale)
          await tx
            .update(patients)
            .set({ locale: answers.locale, updatedAt: at })
            .where(eq(patients.id, patientId));
        if (answers.contactCorrect === 'no')
          await tx
            .update(patients)
            .set({ flags: sql`array(select distinct unnest(${patients.flags} || array['contact_review']))` })
            .where(eq(patients.id, patientId));
        await appendAudit(tx, {
          action: 'patient.welcome_completed',
          actorType: 'patient',
          actorId: patientId,
          subjectType: 'patient',
          subjectId: patientId,
          data: {
            contactCorrect: answers.contactCorrect ?? null,
            passwordChanged: Boolean(encoded),
            locale: answers.locale ?? null,
          },
        });
      });
      return { ok: true };
    },
    async skip(patientId: string) {
      await appendAudit(db, {
        action: 'patient.welcome_skipped',
        actorType: 'patient',
        actorId: patientId,
        subjectType: 'patient',
        subjectId: patientId,
        data: {},
      });
    },
  };
}

export type PatientWelcome = ReturnType<typeof createPatientWelcome>;
