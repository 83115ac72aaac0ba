// The legacy platform's session cookie on the shared domain: a patient already signed in there is
// recognised here without signing in again. The cookie is a JWT checked with its verifier, or an
// opaque value the legacy platform answers for (RFC 7662-style introspection). This only reads: the
// caller decides whether to start a session, and audits it when it does.
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { patients } from '../../db/schema/index.ts';
import type { Config } from '../../infra/env.ts';
import { CLOCK_TOLERANCE_SECONDS, createLegacyJwtVerifier } from './jwt-verifier.ts';

export type LegacySessionSettings = NonNullable<Config['legacyBridge']['session']>;

export type LegacySessionRefusal =
  'absent' | 'invalid' | 'expired' | 'ended' | 'unknown_account' | 'locked' | 'unavailable';

export type LegacySessionVerdict =
  | { ok: true; patientId: string; legacyId: string; givenName: string | null; authTime: Date }
  | { ok: false; reason: LegacySessionRefusal };

export interface LegacySessionBridge {
  cookieName: string;
  /** The cookie's value as the cookie parser gives it (undefined when the request has none). */
  check(cookieValue: string | undefined): Promise<LegacySessionVerdict>;
}

/** How long the legacy platform has to answer an introspection request. */
const INTROSPECTION_TIMEOUT_MS = 3_000;
const MAX_COOKIE_LENGTH = 8 * 1024;

/** A session the legacy platform vouches for, before the account here is looked at. */
type Vouched =
  | { ok: true; legacyId: string; authTime: Date }
  | { ok: false; reason: 'invalid' | 'expired' | 'unavailable' };

export function createLegacySessionBridge(deps: {
  session: LegacySessionSettings;
  parallelRunEndsAt: Date | null;
  db: Db;
  now?: () => Date;
  fetch?: typeof fetch;
}): LegacySessionBridge {
  const { session, parallelRunEndsAt, db } = deps;
  const now = deps.now ?? (() => new Date());
  const fetchImpl = deps.fetch ?? fetch;
  const verifier = session.jwt ? createLegacyJwtVerifier(session.jwt, { now, fetch: deps.fetch }) : null;
  const toleranceMs = CLOCK_TOLERANCE_SECONDS * 1000;

  /** A sign-in older than the settings allow is refused however fresh the token itself is. */
  const recentEnough = (authTime: Date): Vouched | null => {
    const age = now().getTime() - authTime.getTime();
    if (age > session.maxAgeMs + toleranceMs) return { ok: false, reason: 'expired' };
    if (age < -toleranceMs) return { ok: false, reason: 'invalid' };
    return null;
  };

  async function verifyJwt(value: string): Promise<Vouched> {
    const verdict = await verifier!.verify(value);
    if (!verdict.ok) {
      switch (verdict.reason) {
        case 'expired':
        case 'too_old':
          return { ok: false, reason: 'expired' };
        case 'verifier_unavailable':
          return { ok: false, reason: 'unavailable' };
        case 'malformed':
        case 'bad_signature':
        case 'algorithm_not_allowed':
        case 'wrong_issuer':
        case 'wrong_audience':
        case 'no_legacy_id':
          return { ok: false, reason: 'invalid' };
      }
    }
    // The verifier requires `iat`, so there is always one of the two.
    const authTime = verdict.authTime ?? verdict.issuedAt!;
    return recentEnough(authTime) ?? { ok: true, legacyId: verdict.legacyId, authTime };
  }

  async function introspect(value: string): Promise<Vouched> {
    const { url, secret } = session.introspection!;
    let body: unknown;
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          ...(secret ? { authorization: `Bearer ${secret}` } : {}),
        },
        body: new URLSearchParams({ token: value }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(INTROSPECTION_TIMEOUT_MS),
      });
      if (response.status !== 200) {
        // Let the connection go back to the pool.
        await response.body?.cancel();
        return { ok: false, reason: 'unavailable' };
      }
      body = await response.json();
    } catch {
      // Unreachable, too slow, or not JSON: the legacy platform's trouble, not the patient's.
      return { ok: false, reason: 'unavailable' };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { ok: false, reason: 'unavailable' };
    const answer = body as Record<string, unknown>;
    if (answer.active !== true) return { ok: false, reason: 'invalid' };
    if (typeof answer.exp === 'number' && answer.exp * 1000 <= now().getTime() - toleranceMs)
      return { ok: false, reason: 'expired' };
    const legacyId = idOf(answer.legacy_id) ?? idOf(answer.sub);
    if (!legacyId) return { ok: false, reason: 'invalid' };
    // Without a sign-in time the session's age is unknown; the portal would have to invent one for
    // the new platform's `auth_time`, so such an answer is not trusted.
    const seconds =
      typeof answer.auth_time === 'number'
        ? answer.auth_time
        : typeof answer.iat === 'number'
          ? answer.iat
          : null;
    if (seconds === null || !Number.isFinite(seconds)) return { ok: false, reason: 'invalid' };
    const authTime = new Date(seconds * 1000);
    return recentEnough(authTime) ?? { ok: true, legacyId, authTime };
  }

  return {
    cookieName: session.cookieName,
    async check(cookieValue) {
      if (cookieValue === undefined || cookieValue === '') return { ok: false, reason: 'absent' };
      if (parallelRunEndsAt !== null && now().getTime() >= parallelRunEndsAt.getTime())
        return { ok: false, reason: 'ended' };
      if (cookieValue.length > MAX_COOKIE_LENGTH) return { ok: false, reason: 'invalid' };
      // A JWT is checked here when a verifier is configured; anything else goes to the legacy platform.
      const vouched =
        verifier && cookieValue.split('.').length === 3
          ? await verifyJwt(cookieValue)
          : session.introspection
            ? await introspect(cookieValue)
            : ({ ok: false, reason: 'invalid' } as const);
      if (!vouched.ok) return vouched;
      const [account] = await db
        .select({ id: patients.id, state: patients.state, givenName: patients.givenName })
        .from(patients)
        .where(eq(patients.legacyId, vouched.legacyId))
        .limit(1);
      // A closed account is no account here: the same answer as one never imported.
      if (!account || account.state === 'closed') return { ok: false, reason: 'unknown_account' };
      if (account.state === 'locked') return { ok: false, reason: 'locked' };
      return {
        ok: true,
        patientId: account.id,
        legacyId: vouched.legacyId,
        givenName: account.givenName,
        authTime: vouched.authTime,
      };
    },
  };
}

function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
