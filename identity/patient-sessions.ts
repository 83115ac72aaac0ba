// A patient's session on the portal: a random cookie token, stored only as its SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { appendAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { patientSessions, patients, type Patient, type PatientSession } from '../db/schema/index.ts';

export const PATIENT_COOKIE = 'cw_patient';

export type Amr = 'pwd' | 'legacy_pwd' | 'magic_link' | 'legacy_link' | 'legacy_session' | 'otp';

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface ActivePatientSession {
  session: PatientSession;
  patient: Patient;
}

export function createPatientSessions(deps: { db: Db; ttlMs: number; now?: () => Date }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  // Every patient page and every sign-in runs these: built once, prepared on each connection.
  const insertSession = db
    .insert(patientSessions)
    .values({
      tokenHash: sql.placeholder('tokenHash'),
      patientId: sql.placeholder('patientId'),
      amr: sql.placeholder('amr'),
      welcomePending: sql.placeholder('welcomePending'),
      createdAt: sql.placeholder('createdAt'),
      expiresAt: sql.placeholder('expiresAt'),
    })
    .returning()
    .prepare('patient_session_start');
  const findSession = db
    .select({ session: patientSessions, patient: patients })
    .from(patientSessions)
    .innerJoin(patients, eq(patients.id, patientSessions.patientId))
    .where(
      and(
        eq(patientSessions.tokenHash, sql.placeholder('tokenHash')),
        isNull(patientSessions.revokedAt),
        gt(patientSessions.expiresAt, sql.placeholder('now')),
        sql`${patients.state} not in ('closed', 'locked')`,
      ),
    )
    .limit(1)
    .prepare('patient_session_find');
  return {
    ttlMs: deps.ttlMs,
    async start(patientId: string, amr: Amr, options: { welcomePending?: boolean } = {}) {
      const token = randomBytes(32).toString('base64url');
      const [session] = await insertSession.execute({
        tokenHash: hashToken(token),
        patientId,
        amr,
        welcomePending: options.welcomePending ?? false,
        createdAt: now(),
        expiresAt: new Date(now().getTime() + deps.ttlMs),
      });
      return { token, session: session! };
    },
    async find(token: string | undefined): Promise<ActivePatientSession | null> {
      if (!token || !/^[\w-]{43}$/.test(token)) return null;
      const [row] = await findSession.execute({ tokenHash: hashToken(token), now: now() });
      return row ?? null;
    },
    async welcomeDone(sessionId: string) {
      await db
        .update(patientSessions)
        .set({ welcomePending: false })
        .where(eq(patientSessions.id, sessionId));
    },
    /**
     * "Stay signed in" (WCAG 2.2.1): the session lasts a full session length from now, audited. Null when
     * it has already ended or was signed out: an ended session is never brought back.
     */
    async extend(sessionId: string): Promise<Date | null> {
      const at = now();
      const [row] = await db
        .update(patientSessions)
        .set({ expiresAt: new Date(at.getTime() + deps.ttlMs) })
        .where(
          and(
            eq(patientSessions.id, sessionId),
            isNull(patientSessions.revokedAt),
            gt(patientSessions.expiresAt, at),
          ),
        )
        .returning({ patientId: patientSessions.patientId, expiresAt: patientSessions.expiresAt });
      if (!row) return null;
      await appendAudit(db, {
        action: 'patient.session_extended',
        actorType: 'patient',
        actorId: row.patientId,
        subjectType: 'patient',
        subjectId: row.patientId,
        data: {},
      });
      return row.expiresAt;
    },
    /** Ends the session behind this token (sign-out), audited. */
    async end(token: string | undefined) {
      if (!token) return;
      const ended = await db
        .update(patientSessions)
        .set({ revokedAt: now() })
        .where(and(eq(patientSessions.tokenHash, hashToken(token)), isNull(patientSessions.revokedAt)))
        .returning({ patientId: patientSessions.patientId });
      for (const { patientId } of ended)
        await appendAudit(db, {
          action: 'patient.signed_out',
          actorType: 'patient',
          actorId: patientId,
          subjectType: 'patient',
          subjectId: patientId,
          data: {},
        });
    },
    /** Deletes sessions that ended more than a day ago. */
    async prune() {
      await db
        .delete(patientSessions)
        .where(
          sql`coalesce(${patientSessions.revokedAt}, ${patientSessions.expiresAt}) < now() - interval '1 day'`,
        );
    },
  };
}

export type PatientSessions = ReturnType<typeof createPatientSessions>;
