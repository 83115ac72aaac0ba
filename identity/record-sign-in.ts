// What every successful patient sign-in does to the patient, whatever proved who they are: the first
// one through Causeway bridges them (DESIGN §1), a link or code also proves the address it went to.
import { sql } from 'drizzle-orm';
import { appendAudit } from '../db/audit.ts';
import type { DbOrTx } from '../db/client.ts';
import { queryRows } from '../db/pg-array.ts';
import type { Amr } from './patient-sessions.ts';

export interface SignInRecord {
  patientId: string;
  amr: Amr;
  at: Date;
  /** The address the sign-in proved control of (a link or code delivered there), if any. */
  proved?: 'email' | 'phone' | null;
  /** More context for the audit entry (never a secret). */
  detail?: Record<string, unknown>;
}

/** Marks the patient signed in and audits it; `firstSignIn` when this sign-in bridged them. */
export async function recordSignIn(db: DbOrTx, record: SignInRecord): Promise<{ firstSignIn: boolean }> {
  const at = record.at.toISOString();
  const rows = await queryRows<{ first: boolean }>(
    db,
    sql`update patients set
          state = case when state in ('imported', 'notified') then 'bridged'::patient_state else state end,
          bridged_at = coalesce(bridged_at, ${at}::timestamptz),
          last_sign_in_at = ${at}::timestamptz,
          email_verified = email_verified or ${record.proved === 'email'},
          phone_verified = phone_verified or ${record.proved === 'phone'},
          updated_at = ${at}::timestamptz
        where id = ${record.patientId}
        returning bridged_at = ${at}::timestamptz as first`,
  );
  const firstSignIn = rows[0]?.first === true;
  await appendAudit(db, {
    action: 'patient.sign_in',
    actorType: 'patient',
    actorId: record.patientId,
    subjectType: 'patient',
    subjectId: record.patientId,
    data: { method: record.amr, firstSignIn, ...record.detail },
  });
  return { firstSignIn };
}
