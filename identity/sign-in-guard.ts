// Abuse limits for patient sign-in, kept in the database (rate-limiter-flexible) so every process
// and every restart sees the same counts: attempts per network address, and failures per identifier.
// The identifier limit applies whether or not an account exists, so it reveals nothing; when it trips
// for identifiers that belong to accounts, those accounts show the lock to staff, who can lift it.
import { createHmac } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import { appendAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { patients, rateLimits } from '../db/schema/index.ts';

export interface SignInGuardOptions {
  db: Db;
  /** Keys the identifiers (so the table holds no email address or phone number). */
  secret: string;
  attemptsPerAddress: number;
  failuresPerIdentifier: number;
  lockMs: number;
  /** Window over which address attempts are counted. */
  addressWindowMs?: number;
}

export type GuardVerdict =
  /** `failures`: earlier failures still counted for this identifier (0 when none). */
  { ok: true; failures: number } | { ok: false; why: 'address' | 'identifier'; retryAfterSeconds: number };

export function createSignInGuard(options: SignInGuardOptions) {
  const { db } = options;
  const lockSeconds = Math.ceil(options.lockMs / 1000);
  const perAddress = new RateLimiterDrizzle({
    storeClient: db,
    schema: rateLimits,
    keyPrefix: 'signin-addr',
    points: options.attemptsPerAddress,
    duration: Math.ceil((options.addressWindowMs ?? 15 * 60_000) / 1000),
    clearExpiredByTimeout: false,
  });
  const perIdentifier = new RateLimiterDrizzle({
    storeClient: db,
    schema: rateLimits,
    keyPrefix: 'signin-id',
    points: options.failuresPerIdentifier,
    duration: lockSeconds,
    clearExpiredByTimeout: false,
  });
  const keyFor = (identifier: string) =>
    createHmac('sha256', options.secret).update(`sign-in:${identifier}`).digest('base64url');
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

  return {
    /** Counts an attempt from this address and says whether this attempt may go on. */
    async admit(identifier: string, address: string | undefined): Promise<GuardVerdict> {
      const held = await perIdentifier.get(keyFor(identifier));
      if (held && held.consumedPoints >= options.failuresPerIdentifier)
        return { ok: false, why: 'identifier', retryAfterSeconds: seconds(held.msBeforeNext) };
      if (address) {
        try {
          await perAddress.consume(address);
        } catch (rejection) {
          if (rejection instanceof RateLimiterRes)
            return { ok: false, why: 'address', retryAfterSeconds: seconds(rejection.msBeforeNext) };
          throw rejection;
        }
      }
      return { ok: true, failures: held?.consumedPoints ?? 0 };
    },

    /** A failed attempt; returns when the identifier is locked until, if this failure locked it. */
    async failed(identifier: string, patientIds: string[]): Promise<Date | null> {
      const key = keyFor(identifier);
      const res = await perIdentifier.penalty(key, 1);
      if (res.consumedPoints !== options.failuresPerIdentifier) return null;
      // The threshold was just reached: the lock runs a full period from now.
      await perIdentifier.block(key, lockSeconds);
      const until = new Date(Date.now() + options.lockMs);
      if (patientIds.length > 0) {
        await db.update(patients).set({ signInLockedUntil: until }).where(inArray(patients.id, patientIds));
        for (const id of patientIds)
          await appendAudit(db, {
            action: 'patient.sign_in_locked',
            actorType: 'system',
            subjectType: 'patient',
            subjectId: id,
            data: { until: until.toISOString(), failures: options.failuresPerIdentifier },
          });
      }
      return until;
    },

    /** A success clears what earlier failures left (nothing to do, and no query, when there were none). */
    async succeeded(
      identifier: string,
      patient: { id: string; signInLockedUntil: Date | null },
      failures: number,
    ) {
      if (failures > 0) await perIdentifier.delete(keyFor(identifier));
      if (patient.signInLockedUntil)
        await db.update(patients).set({ signInLockedUntil: null }).where(eq(patients.id, patient.id));
    },

    /** Staff lift a lock: both of the patient's identifiers are cleared. */
    async lift(patientId: string, staffId: string): Promise<boolean> {
      const [patient] = await db
        .select({ email: patients.emailNormalized, phone: patients.phone, until: patients.signInLockedUntil })
        .from(patients)
        .where(eq(patients.id, patientId));
      if (!patient) return false;
      for (const identifier of [patient.email, patient.phone])
        if (identifier) await perIdentifier.delete(keyFor(identifier));
      await db.update(patients).set({ signInLockedUntil: null }).where(eq(patients.id, patientId));
      await appendAudit(db, {
        action: 'patient.sign_in_unlocked',
        actorType: 'staff',
        actorId: staffId,
        subjectType: 'patient',
        subjectId: patientId,
        data: { wasLockedUntil: patient.until?.toISOString() ?? null },
      });
      return true;
    },
  };
}

export type SignInGuard = ReturnType<typeof createSignInGuard>;
