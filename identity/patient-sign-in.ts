// Patient sign-in with what they already have: the legacy password, verified against whatever the old
// platform stored (or asked of the old platform itself), upgraded to argon2id on success.
import { and, eq, sql } from 'drizzle-orm';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { appendAudit } from '../db/audit.ts';
import type { Db } from '../db/client.ts';
import { patientCredentials, patients, type Patient } from '../db/schema/index.ts';
import { verifyHash } from './credentials/index.ts';
import { bounds } from './credentials/bounds.ts';
import type { LegacyVerifier } from './legacy-verify.ts';
import type { SignInGuard } from './sign-in-guard.ts';
import { hashPassword, verifyDummyPassword } from './passwords.ts';

export type PatientSignInFailure =
  /** Wrong password, unknown identifier, or no password on file: one answer for all (no enumeration). */
  | 'invalid_credentials'
  /** Two accounts share the identifier and the password did not pick exactly one: same answer plus help. */
  | 'ambiguous_account'
  /** The account is locked by staff: the patient is sent to support. */
  | 'locked'
  /** Too many verifications in flight: answer 429 with Retry-After rather than queue without bound. */
  | 'busy';

export type PatientSignInResult =
  | { ok: true; patientId: string; amr: 'pwd' | 'legacy_pwd'; firstSignIn: boolean; upgraded: boolean }
  | { ok: false; reason: PatientSignInFailure }
  /** Too many attempts from this address, or too many failures for this identifier (known or not). */
  | { ok: false; reason: 'too_many_attempts'; retryAfterSeconds: number };

export interface PatientSignInDeps {
  db: Db;
  defaultRegion: CountryCode;
  legacyVerifier?: LegacyVerifier | null;
  /** Rate limits and the lock after repeated failures. */
  guard?: SignInGuard | null;
  /** Verifications allowed at once before new attempts are turned away as `busy`. */
  maxConcurrent?: number;
  now?: () => Date;
  onOutcome?: (outcome: string, family: string | null, seconds: number) => void;
}

/** The identifier as stored: a lower-cased email, or an E.164 phone number. */
export function normalizeIdentifier(
  identifier: string,
  region: CountryCode,
): { email?: string; phone?: string } | null {
  const value = identifier.trim();
  if (value.includes('@')) return value.length <= 254 ? { email: value.toLowerCase() } : null;
  const phone = parsePhoneNumberFromString(value, region);
  return phone?.isValid() ? { phone: phone.number } : null;
}

const MAX_CANDIDATES = 5;

export function createPatientSignIn(deps: PatientSignInDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const limit = deps.maxConcurrent ?? 32;
  let inFlight = 0;

  type Candidate = {
    patient: Patient;
    family: string | null;
    encoded: string | null;
    params: unknown;
    usable: boolean;
    origin: string | null;
  };

  async function findCandidates(identifier: string): Promise<Candidate[]> {
    const key = normalizeIdentifier(identifier, deps.defaultRegion);
    if (!key) return [];
    const rows = await db
      .select({ patient: patients, credential: patientCredentials })
      .from(patients)
      .leftJoin(patientCredentials, eq(patientCredentials.patientId, patients.id))
      .where(
        and(
          key.email ? eq(patients.emailNormalized, key.email) : eq(patients.phone, key.phone!),
          sql`${patients.state} <> 'closed'`,
        ),
      )
      .limit(MAX_CANDIDATES);
    return rows.map(({ patient, credential }) => ({
      patient,
      family: credential?.family ?? null,
      encoded: credential?.encoded ?? null,
      params: credential?.params ?? null,
      usable: credential?.usable ?? false,
      origin: credential?.origin ?? null,
    }));
  }

  /** Does this account accept the password? Local hash first, then the legacy platform if it has none. */
  async function accepts(
    candidate: Candidate,
    identifier: string,
    password: string,
  ): Promise<'local' | 'legacy' | false> {
    if (candidate.usable && candidate.family && candidate.encoded) {
      const ok = await verifyHash(
        candidate.family,
        candidate.encoded,
        password,
        (candidate.params ?? undefined) as Record<string, unknown> | undefined,
      );
      return ok ? 'local' : false;
    }
    if (!deps.legacyVerifier) {
      // No password on file and no one to ask: spend a verification's time all the same, so the answer
      // does not tell that this account exists without a password.
      await verifyDummyPassword(password);
      return false;
    }
    const verdict = await deps.legacyVerifier.verify({
      legacyId: candidate.patient.legacyId,
      identifier,
      password,
    });
    return verdict === 'verified' ? 'legacy' : false;
  }

  async function upgrade(candidate: Candidate, password: string): Promise<boolean> {
    if (candidate.origin === 'causeway') return false;
    const encoded = await hashPassword(password);
    const at = now();
    // Compare-and-swap: only the sign-in that still sees the old hash writes the new one.
    const updated = candidate.encoded
      ? await db
          .update(patientCredentials)
          .set({
            family: 'argon2id',
            encoded,
            params: null,
            usable: true,
            origin: 'causeway',
            upgradedAt: at,
            updatedAt: at,
          })
          .where(
            and(
              eq(patientCredentials.patientId, candidate.patient.id),
              eq(patientCredentials.encoded, candidate.encoded),
            ),
          )
          .returning({ id: patientCredentials.patientId })
      : await db
          .insert(patientCredentials)
          .values({
            patientId: candidate.patient.id,
            family: 'argon2id',
            encoded,
            usable: true,
            origin: 'causeway',
            upgradedAt: at,
            updatedAt: at,
          })
          .onConflictDoNothing()
          .returning({ id: patientCredentials.patientId });
    return updated.length === 1;
  }

  async function audit(action: string, patientId: string | null, data: Record<string, unknown>) {
    await appendAudit(db, {
      action,
      actorType: patientId ? 'patient' : 'system',
      actorId: patientId,
      subjectType: patientId ? 'patient' : null,
      subjectId: patientId,
      data,
    });
  }

  return {
    async signInWithPassword(input: {
      identifier: string;
      password: string;
      /** The network address the attempt came from (for the per-address limit). */
      address?: string;
    }): Promise<PatientSignInResult> {
      // The slot is taken before anything is awaited, so simultaneous attempts cannot all slip past.
      if (inFlight >= limit) return { ok: false, reason: 'busy' };
      inFlight += 1;
      const started = process.hrtime.bigint();
      let family: string | null = null;
      const finish = (result: PatientSignInResult) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        deps.onOutcome?.(result.ok ? 'success' : result.reason, family, seconds);
        return result;
      };
      try {
        const key = normalizeIdentifier(input.identifier, deps.defaultRegion);
        const limitKey = key?.email ?? key?.phone ?? input.identifier.trim().toLowerCase();
        let earlierFailures = 0;
        if (deps.guard) {
          const verdict = await deps.guard.admit(limitKey, input.address);
          if (!verdict.ok)
            return finish({
              ok: false,
              reason: 'too_many_attempts',
              retryAfterSeconds: verdict.retryAfterSeconds,
            });
          earlierFailures = verdict.failures;
        }
        if (Buffer.byteLength(input.password) > bounds.maxPasswordBytes) {
          await verifyDummyPassword('');
          return finish({ ok: false, reason: 'invalid_credentials' });
        }
        const candidates = await findCandidates(input.identifier);
        const failed = async () => {
          await deps.guard?.failed(
            limitKey,
            candidates.map((c) => c.patient.id),
          );
        };
        if (candidates.length === 0) {
          await verifyDummyPassword(input.password);
          await audit('patient.sign_in_failed', null, { reason: 'unknown_identifier' });
          await failed();
          return finish({ ok: false, reason: 'invalid_credentials' });
        }
        const verdicts = await Promise.all(
          candidates.map((c) => accepts(c, input.identifier, input.password)),
        );
        const accepted = candidates.flatMap((c, i) =>
          verdicts[i] ? [{ candidate: c, how: verdicts[i] }] : [],
        );
        if (accepted.length !== 1) {
          if (candidates.length > 1) {
            // The patient is offered help; staff see the shared identifier on each account's timeline.
            for (const c of candidates)
              await audit('patient.sign_in_ambiguous', c.patient.id, {
                accounts: candidates.length,
                accepted: accepted.length,
              });
            await failed();
            return finish({ ok: false, reason: 'ambiguous_account' });
          }
          await audit('patient.sign_in_failed', candidates[0]!.patient.id, {
            reason: candidates[0]!.usable ? 'wrong_password' : 'no_usable_password',
            family: candidates[0]!.family,
          });
          family = candidates[0]!.family;
          await failed();
          return finish({ ok: false, reason: 'invalid_credentials' });
        }
        const { candidate, how } = accepted[0]!;
        family = how === 'legacy' ? 'legacy_verify' : candidate.family;
        if (candidate.patient.state === 'locked') {
          await audit('patient.sign_in_failed', candidate.patient.id, { reason: 'locked' });
          return finish({ ok: false, reason: 'locked' });
        }
        await deps.guard?.succeeded(limitKey, candidate.patient, earlierFailures);
        const upgraded = await upgrade(candidate, input.password);
        const at = now();
        await db
          .update(patients)
          .set({
            state: sql`case when ${patients.state} in ('imported', 'notified') then 'bridged'::patient_state else ${patients.state} end`,
            bridgedAt: sql`coalesce(${patients.bridgedAt}, ${at.toISOString()}::timestamptz)`,
            lastSignInAt: at,
          })
          .where(eq(patients.id, candidate.patient.id));
        const firstSignIn = candidate.patient.bridgedAt === null;
        const amr = candidate.origin === 'causeway' ? 'pwd' : 'legacy_pwd';
        await audit('patient.sign_in', candidate.patient.id, { method: amr, family, firstSignIn });
        if (upgraded)
          await audit('patient.credential_upgraded', candidate.patient.id, { from: family, to: 'argon2id' });
        return finish({ ok: true, patientId: candidate.patient.id, amr, firstSignIn, upgraded });
      } finally {
        inFlight -= 1;
      }
    },
  };
}

export type PatientSignIn = ReturnType<typeof createPatientSignIn>;
