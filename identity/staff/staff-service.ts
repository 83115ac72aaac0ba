// Staff accounts and their sign-in: argon2id password, then TOTP (enrolled on first sign-in), then a
// database-backed session that can be revoked, times out when idle, and locks after repeated failures.
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { appendAudit } from '../../db/audit.ts';
import type { Db, DbOrTx } from '../../db/client.ts';
import {
  staff,
  staffSessions,
  type Staff,
  type StaffRole,
  type StaffSession,
} from '../../db/schema/staff.ts';
import type { FieldCipher } from '../encryption.ts';
import {
  generateTemporaryPassword,
  hashPassword,
  verifyDummyPassword,
  verifyPassword,
} from '../passwords.ts';
import { checkTotp, generateTotpSecret, totpQrDataUrl, totpUri } from './totp.ts';

export const staffRoles = [
  'admin',
  'support',
  'clinical',
  'marketing',
] as const satisfies readonly StaffRole[];
export const staffEmailSchema = z.string().trim().toLowerCase().email();
export const MIN_STAFF_PASSWORD = 12;
const PENDING_SESSION_MS = 10 * 60_000;
// Writing last_seen_at on every request would turn each page view into a write; once a minute is enough.
const TOUCH_EVERY_MS = 60_000;

export interface StaffSettings {
  idleTimeoutMs: number;
  idleWarningMs: number;
  maxSessionMs: number;
  lockoutThreshold: number;
  lockoutMs: number;
}

export interface StaffServiceDeps {
  db: Db;
  cipher: FieldCipher;
  settings: StaffSettings;
  /** Shown in authenticator apps next to the account. */
  issuer: string;
  now?: () => Date;
  onSignInOutcome?: (outcome: string) => void;
}

export interface ActiveStaffSession {
  session: StaffSession;
  staff: Staff;
  /** When the session ends if nothing else happens. */
  idleExpiresAt: Date;
}

export type AddStaffResult =
  | { ok: true; staff: Staff; temporaryPassword: string }
  | { ok: false; reason: 'invalid_email' | 'email_taken' };

export type StartSignInResult =
  | { ok: true; token: string; next: 'totp' | 'enroll' }
  | { ok: false; reason: 'invalid_credentials' | 'locked'; retryAfterMs?: number };

export type SecondFactorResult =
  | { ok: true; next: 'new_password' | 'done'; token: string }
  | { ok: false; reason: 'wrong_code' | 'locked' | 'not_enrolling' };

export type NewPasswordResult =
  { ok: true; token: string } | { ok: false; reason: 'too_short' | 'mismatch' | 'same_as_before' };

export type ChangeRoleResult = { ok: true } | { ok: false; reason: 'not_found' | 'last_admin' };

export interface Actor {
  type: 'staff' | 'cli' | 'system';
  id?: string | null;
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Sessions are stored by the hash of their token: a database read does not yield a usable cookie. */
const hashSessionToken = sha256Hex;

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Records an event about a staff account; by default the member acted on their own account. */
function auditStaff(
  db: DbOrTx,
  action: string,
  staffId: string,
  actor: Actor = { type: 'staff', id: staffId },
  data?: Record<string, unknown>,
) {
  return appendAudit(db, {
    action,
    actorType: actor.type,
    actorId: actor.id ?? null,
    subjectType: 'staff',
    subjectId: staffId,
    data,
  });
}

export function createStaffService(deps: StaffServiceDeps) {
  const { db, cipher, settings } = deps;
  const now = deps.now ?? (() => new Date());
  const report = deps.onSignInOutcome ?? (() => {});

  async function findByEmail(email: string): Promise<Staff | undefined> {
    const [row] = await db.select().from(staff).where(eq(staff.email, email.trim().toLowerCase()));
    return row;
  }

  async function createSession(staffId: string, stage: StaffSession['stage'], userAgent?: string | null) {
    const token = newToken();
    const at = now();
    const lifetime = stage === 'full' ? settings.maxSessionMs : PENDING_SESSION_MS;
    await db.insert(staffSessions).values({
      tokenHash: hashSessionToken(token),
      staffId,
      stage,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: new Date(at.getTime() + lifetime),
      userAgent: userAgent?.slice(0, 300) ?? null,
    });
    return token;
  }

  /** Replaces a session by a new one at a later stage: a fresh token at every privilege change. */
  async function advanceSession(current: ActiveStaffSession, stage: StaffSession['stage']) {
    await db
      .update(staffSessions)
      .set({ revokedAt: now(), revokedReason: 'advanced' })
      .where(eq(staffSessions.id, current.session.id));
    const token = await createSession(current.staff.id, stage, current.session.userAgent);
    if (stage === 'full') {
      await db
        .update(staff)
        .set({ failedAttempts: 0, updatedAt: now() })
        .where(eq(staff.id, current.staff.id));
      await auditStaff(db, 'staff.sign_in', current.staff.id, undefined, { role: current.staff.role });
      report('success');
    }
    return token;
  }

  function lockedFor(row: Staff): number {
    return row.lockedUntil ? row.lockedUntil.getTime() - now().getTime() : 0;
  }

  /** Counts a failure; the one that reaches the threshold locks the account. */
  async function recordFailure(row: Staff, reason: 'bad_password' | 'bad_totp'): Promise<boolean> {
    const [updated] = await db
      .update(staff)
      .set({ failedAttempts: sql`${staff.failedAttempts} + 1`, updatedAt: now() })
      .where(eq(staff.id, row.id))
      .returning({ failedAttempts: staff.failedAttempts });
    await auditStaff(db, 'staff.sign_in_failed', row.id, undefined, { reason });
    report(reason);
    if ((updated?.failedAttempts ?? 0) < settings.lockoutThreshold) return false;
    const until = new Date(now().getTime() + settings.lockoutMs);
    await db.update(staff).set({ lockedUntil: until, failedAttempts: 0 }).where(eq(staff.id, row.id));
    // Sign-in attempts already past the password step are stopped too.
    await db
      .update(staffSessions)
      .set({ revokedAt: now(), revokedReason: 'locked' })
      .where(
        and(
          eq(staffSessions.staffId, row.id),
          isNull(staffSessions.revokedAt),
          sql`${staffSessions.stage} <> 'full'`,
        ),
      );
    await auditStaff(db, 'staff.locked', row.id, { type: 'system' }, { until: until.toISOString() });
    return true;
  }

  return {
    async addStaff(input: { email: string; role: StaffRole }, actor: Actor): Promise<AddStaffResult> {
      const email = staffEmailSchema.safeParse(input.email);
      if (!email.success) return { ok: false, reason: 'invalid_email' };
      const temporaryPassword = generateTemporaryPassword();
      const passwordHash = await hashPassword(temporaryPassword);
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(staff)
          .values({ email: email.data, role: input.role, passwordHash, passwordIsTemporary: true })
          .onConflictDoNothing()
          .returning();
        if (!row) return { ok: false, reason: 'email_taken' } as const;
        await auditStaff(tx, 'staff.created', row.id, actor, { email: row.email, role: row.role });
        return { ok: true, staff: row, temporaryPassword } as const;
      });
    },

    /** Sets a known TOTP secret (the demo prints it so the admin can add it to an app). */
    async enrollTotpSecret(staffId: string, secretBase32: string): Promise<void> {
      await db
        .update(staff)
        .set({ totpSecretEnc: cipher.encrypt(secretBase32), totpEnrolledAt: now(), updatedAt: now() })
        .where(eq(staff.id, staffId));
    },

    async startSignIn(input: {
      email: string;
      password: string;
      userAgent?: string | null;
    }): Promise<StartSignInResult> {
      const row = await findByEmail(input.email);
      if (!row || row.disabledAt) {
        await verifyDummyPassword(input.password);
        await appendAudit(db, {
          action: 'staff.sign_in_failed',
          actorType: 'system',
          // What was typed may be anyone's address (a patient's, by mistake): keep only a fingerprint,
          // enough to see one address tried again and again.
          data: {
            reason: 'unknown_email',
            emailSha256: sha256Hex(input.email.trim().toLowerCase()).slice(0, 16),
          },
        });
        report('unknown_email');
        return { ok: false, reason: 'invalid_credentials' };
      }
      const lockedMs = lockedFor(row);
      if (lockedMs > 0) {
        await auditStaff(db, 'staff.sign_in_failed', row.id, undefined, { reason: 'locked' });
        report('locked');
        return { ok: false, reason: 'locked', retryAfterMs: lockedMs };
      }
      if (!(await verifyPassword(row.passwordHash, input.password))) {
        const locked = await recordFailure(row, 'bad_password');
        return locked
          ? { ok: false, reason: 'locked', retryAfterMs: settings.lockoutMs }
          : { ok: false, reason: 'invalid_credentials' };
      }
      const token = await createSession(row.id, 'password', input.userAgent);
      return { ok: true, token, next: row.totpEnrolledAt ? 'totp' : 'enroll' };
    },

    /**
     * The session behind a cookie token, or null when it is unknown, revoked, expired or idle too long.
     * `touch` records activity (a page view or "I'm still here"), which pushes the idle deadline back.
     */
    async getSession(
      token: string | null | undefined,
      options: { touch?: boolean } = {},
    ): Promise<ActiveStaffSession | null> {
      if (!token) return null;
      const [found] = await db
        .select({ session: staffSessions, staff })
        .from(staffSessions)
        .innerJoin(staff, eq(staff.id, staffSessions.staffId))
        .where(and(eq(staffSessions.tokenHash, hashSessionToken(token)), isNull(staffSessions.revokedAt)));
      if (!found) return null;
      const at = now();
      const idleDeadline = found.session.lastSeenAt.getTime() + settings.idleTimeoutMs;
      const expired = found.session.expiresAt.getTime() <= at.getTime();
      const idle = found.session.stage === 'full' && idleDeadline <= at.getTime();
      if (expired || idle || found.staff.disabledAt) {
        const reason = idle ? 'idle' : expired ? 'expired' : 'disabled';
        await db
          .update(staffSessions)
          .set({ revokedAt: at, revokedReason: reason })
          .where(eq(staffSessions.id, found.session.id));
        if (found.session.stage === 'full') {
          await auditStaff(
            db,
            'staff.session_ended',
            found.staff.id,
            { type: 'system' },
            { reason, session: found.session.id },
          );
        }
        return null;
      }
      let lastSeenAt = found.session.lastSeenAt;
      if (options.touch && at.getTime() - lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
        lastSeenAt = at;
        await db.update(staffSessions).set({ lastSeenAt: at }).where(eq(staffSessions.id, found.session.id));
      }
      return {
        session: { ...found.session, lastSeenAt },
        staff: found.staff,
        idleExpiresAt: new Date(
          Math.min(lastSeenAt.getTime() + settings.idleTimeoutMs, found.session.expiresAt.getTime()),
        ),
      };
    },

    /** "I'm still here": always records activity, whatever the last write was. */
    async extendSession(active: ActiveStaffSession): Promise<Date> {
      const at = now();
      await db.update(staffSessions).set({ lastSeenAt: at }).where(eq(staffSessions.id, active.session.id));
      return new Date(Math.min(at.getTime() + settings.idleTimeoutMs, active.session.expiresAt.getTime()));
    },

    /** The secret to enrol, created on first call and kept (encrypted) until it is confirmed. */
    async beginEnrollment(active: ActiveStaffSession): Promise<{ secret: string; uri: string; qr: string }> {
      let secret: string;
      if (active.staff.totpSecretEnc && !active.staff.totpEnrolledAt) {
        secret = cipher.decrypt(active.staff.totpSecretEnc);
      } else {
        secret = generateTotpSecret();
        await db
          .update(staff)
          .set({ totpSecretEnc: cipher.encrypt(secret), updatedAt: now() })
          .where(and(eq(staff.id, active.staff.id), isNull(staff.totpEnrolledAt)));
      }
      const uri = totpUri(secret, active.staff.email, deps.issuer);
      return { secret, uri, qr: await totpQrDataUrl(uri) };
    },

    /** Checks the TOTP code at the second step, or the first code during enrolment. */
    async verifySecondFactor(active: ActiveStaffSession, code: string): Promise<SecondFactorResult> {
      if (active.session.stage !== 'password') return { ok: false, reason: 'not_enrolling' };
      const [fresh] = await db.select().from(staff).where(eq(staff.id, active.staff.id));
      if (!fresh?.totpSecretEnc) return { ok: false, reason: 'not_enrolling' };
      if (lockedFor(fresh) > 0) return { ok: false, reason: 'locked' };
      const step = checkTotp(cipher.decrypt(fresh.totpSecretEnc), code, now().getTime());
      // A step at or before the last accepted one is a replay.
      const accepted =
        step !== null &&
        (
          await db
            .update(staff)
            .set({ totpLastStep: step, totpEnrolledAt: fresh.totpEnrolledAt ?? now(), updatedAt: now() })
            .where(and(eq(staff.id, fresh.id), sql`coalesce(${staff.totpLastStep}, -1) < ${step}`))
            .returning({ id: staff.id })
        ).length === 1;
      if (!accepted) {
        const locked = await recordFailure(fresh, 'bad_totp');
        return { ok: false, reason: locked ? 'locked' : 'wrong_code' };
      }
      if (!fresh.totpEnrolledAt) {
        await auditStaff(db, 'staff.totp_enrolled', fresh.id);
      }
      const next = fresh.passwordIsTemporary ? 'new_password' : 'done';
      const token = await advanceSession(
        { ...active, staff: fresh },
        next === 'done' ? 'full' : 'new_password',
      );
      return { ok: true, next, token };
    },

    async setNewPassword(
      active: ActiveStaffSession,
      password: string,
      confirm: string,
    ): Promise<NewPasswordResult> {
      if (password.length < MIN_STAFF_PASSWORD) return { ok: false, reason: 'too_short' };
      if (password !== confirm) return { ok: false, reason: 'mismatch' };
      if (await verifyPassword(active.staff.passwordHash, password))
        return { ok: false, reason: 'same_as_before' };
      await db
        .update(staff)
        .set({ passwordHash: await hashPassword(password), passwordIsTemporary: false, updatedAt: now() })
        .where(eq(staff.id, active.staff.id));
      await auditStaff(db, 'staff.password_changed', active.staff.id);
      return { ok: true, token: await advanceSession(active, 'full') };
    },

    /** A signed-in member asked for a page their role does not include. */
    async recordAccessDenied(active: ActiveStaffSession, path: string): Promise<void> {
      await auditStaff(db, 'staff.access_denied', active.staff.id, undefined, {
        path,
        role: active.staff.role,
      });
    },

    async signOut(active: ActiveStaffSession): Promise<void> {
      await db
        .update(staffSessions)
        .set({ revokedAt: now(), revokedReason: 'signed_out' })
        .where(eq(staffSessions.id, active.session.id));
      await auditStaff(db, 'staff.sign_out', active.staff.id);
    },

    async revokeSession(sessionId: string, actor: Actor): Promise<boolean> {
      const [revoked] = await db
        .update(staffSessions)
        .set({ revokedAt: now(), revokedReason: 'revoked' })
        .where(and(eq(staffSessions.id, sessionId), isNull(staffSessions.revokedAt)))
        .returning();
      if (!revoked) return false;
      await auditStaff(db, 'staff.session_revoked', revoked.staffId, actor, { session: revoked.id });
      return true;
    },

    async changeRole(staffId: string, role: StaffRole, actor: Actor): Promise<ChangeRoleResult> {
      return db.transaction(async (tx) => {
        const [target] = await tx.select().from(staff).where(eq(staff.id, staffId)).for('update');
        if (!target) return { ok: false, reason: 'not_found' } as const;
        if (target.role === role) return { ok: true } as const;
        if (target.role === 'admin') {
          const [admins] = await tx
            .select({ n: sql<number>`count(*)::int` })
            .from(staff)
            .where(and(eq(staff.role, 'admin'), isNull(staff.disabledAt)));
          if ((admins?.n ?? 0) <= 1) return { ok: false, reason: 'last_admin' } as const;
        }
        await tx.update(staff).set({ role, updatedAt: now() }).where(eq(staff.id, staffId));
        // Privileges changed: the member signs in again under the new role.
        await tx
          .update(staffSessions)
          .set({ revokedAt: now(), revokedReason: 'role_changed' })
          .where(and(eq(staffSessions.staffId, staffId), isNull(staffSessions.revokedAt)));
        await auditStaff(tx, 'staff.role_changed', staffId, actor, { from: target.role, to: role });
        return { ok: true } as const;
      });
    },

    async listStaff() {
      return db
        .select({
          id: staff.id,
          email: staff.email,
          role: staff.role,
          totpEnrolledAt: staff.totpEnrolledAt,
          lockedUntil: staff.lockedUntil,
          createdAt: staff.createdAt,
        })
        .from(staff)
        .orderBy(asc(staff.email));
    },

    async listActiveSessions() {
      return db
        .select({
          id: staffSessions.id,
          staffId: staffSessions.staffId,
          email: staff.email,
          createdAt: staffSessions.createdAt,
          lastSeenAt: staffSessions.lastSeenAt,
          userAgent: staffSessions.userAgent,
        })
        .from(staffSessions)
        .innerJoin(staff, eq(staff.id, staffSessions.staffId))
        .where(
          and(
            isNull(staffSessions.revokedAt),
            eq(staffSessions.stage, 'full'),
            gt(staffSessions.expiresAt, now()),
          ),
        )
        .orderBy(asc(staff.email), asc(staffSessions.createdAt));
    },
  };
}

export type StaffService = ReturnType<typeof createStaffService>;
