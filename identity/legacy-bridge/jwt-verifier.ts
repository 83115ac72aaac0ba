// Checks a JWT the legacy platform issued (a magic link or a session cookie) with jose, and says why
// one was refused in words the caller can act on (a new link for an expired one, support otherwise).
//
// A token without `iat` is refused as `malformed`: the settings promise an oldest `iat`
// (`maxAgeMs`) even when `exp` is later or absent, and without `iat` the token's age cannot be known.
// Accepting it on `exp` alone would let a long-lived token outlive that promise.
import {
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import type { LegacyJwtConfig } from '../../infra/env.ts';

export type JwtRefusal =
  | 'malformed'
  | 'bad_signature'
  | 'algorithm_not_allowed'
  | 'expired'
  | 'too_old'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'no_legacy_id'
  | 'verifier_unavailable';

export type JwtVerdict =
  | {
      ok: true;
      legacyId: string;
      jti?: string;
      issuedAt?: Date;
      expiresAt?: Date;
      /** The `auth_time` claim, when the token carries one (a session's sign-in time). */
      authTime?: Date;
    }
  | {
      ok: false;
      reason: JwtRefusal;
      /** Only for `expired` and `too_old`, and only when the signature verified. */
      legacyId?: string;
    };

export interface LegacyJwtVerifier {
  verify(token: string): Promise<JwtVerdict>;
}

/** Clocks on two platforms disagree by a little; a token is not refused for a few seconds of it. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** Far beyond any real link or cookie: longer input is not parsed at all. */
const MAX_TOKEN_LENGTH = 8 * 1024;
/** How long to wait for the legacy platform's JWKS before answering `verifier_unavailable`. */
const JWKS_TIMEOUT_MS = 3_000;

/** The JWKS could not be fetched or read: the legacy platform's trouble, not the patient's. */
class JwksUnavailable extends Error {}

export function createLegacyJwtVerifier(
  config: LegacyJwtConfig,
  options: { now?: () => Date; fetch?: typeof fetch } = {},
): LegacyJwtVerifier {
  const now = options.now ?? (() => new Date());
  const symmetric = Boolean(config.secret);
  // The settings refuse these mixes already; a caller wiring them by hand gets told at once.
  if (!config.secret === !config.jwksUrl)
    throw new Error('a legacy JWT verifier needs either a secret or a JWKS URL, not both or neither');
  const algorithms = config.algorithms.map((a) => a.trim()).filter(Boolean);
  if (algorithms.length === 0) throw new Error('a legacy JWT verifier needs at least one algorithm');
  for (const alg of algorithms) {
    if (alg.toLowerCase() === 'none') throw new Error('the algorithm "none" is never allowed');
    if (alg.startsWith('HS') !== symmetric)
      throw new Error(
        symmetric
          ? `a shared secret verifies only HS algorithms, not ${alg}`
          : `a JWKS verifies only public-key algorithms, not ${alg}`,
      );
  }

  let key: Uint8Array | JWTVerifyGetKey;
  if (config.secret) {
    key = new TextEncoder().encode(config.secret);
  } else {
    // Created here but fetched only on the first token, and cached by jose (10 minutes, with a refetch
    // when a token names a key it has not seen, at most every 30 s).
    const remote = createRemoteJWKSet(new URL(config.jwksUrl!), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      ...(options.fetch ? { [customFetch]: options.fetch } : {}),
    });
    key = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        // These say something about the token, not about the legacy platform being reachable.
        if (
          error instanceof errors.JWKSNoMatchingKey ||
          error instanceof errors.JWKSMultipleMatchingKeys ||
          error instanceof errors.JOSENotSupported
        )
          throw error;
        throw new JwksUnavailable('the legacy JWKS could not be fetched', { cause: error });
      }
    };
  }

  const idOf = (payload: JWTPayload | undefined): string | undefined => {
    const value = payload?.[config.idClaim];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    return undefined;
  };

  const refusal = (error: unknown): JwtVerdict => {
    if (error instanceof errors.JWTExpired) {
      // jose checks claims only after the signature (jwt/verify.js: verifyCompact, then
      // validateClaimsSet), so the payload an expiry error carries is authentic: the legacy id in it
      // may receive a fresh link.
      const legacyId = idOf(error.payload);
      return {
        ok: false,
        reason: error.claim === 'iat' ? 'too_old' : 'expired',
        ...(legacyId ? { legacyId } : {}),
      };
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'iss') return { ok: false, reason: 'wrong_issuer' };
      if (error.claim === 'aud') return { ok: false, reason: 'wrong_audience' };
      // A missing `iat` (see the top of the file), an `iat` or `nbf` in the future, a non-numeric date.
      return { ok: false, reason: 'malformed' };
    }
    if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
      return { ok: false, reason: 'algorithm_not_allowed' };
    if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey)
      return { ok: false, reason: 'bad_signature' };
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
      return { ok: false, reason: 'malformed' };
    if (error instanceof JwksUnavailable) return { ok: false, reason: 'verifier_unavailable' };
    throw error;
  };

  const accepted = (payload: JWTPayload): JwtVerdict => {
    const legacyId = idOf(payload);
    if (!legacyId) return { ok: false, reason: 'no_legacy_id' };
    const date = (seconds: unknown) =>
      typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
    const issuedAt = date(payload.iat);
    const expiresAt = date(payload.exp);
    const authTime = date(payload.auth_time);
    return {
      ok: true,
      legacyId,
      ...(typeof payload.jti === 'string' && payload.jti !== '' ? { jti: payload.jti } : {}),
      ...(issuedAt ? { issuedAt } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      ...(authTime ? { authTime } : {}),
    };
  };

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || token.split('.').length !== 3)
        return { ok: false, reason: 'malformed' };
      const verifyOptions: JWTVerifyOptions = {
        // jose refuses any other `alg` (`none` included) before it looks at a key.
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        // Also makes `iat` required.
        maxTokenAge: Math.floor(config.maxAgeMs / 1000),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now(),
      };
      try {
        const { payload } = await jwtVerify(token, key, verifyOptions);
        return accepted(payload);
      } catch (error) {
        if (error instanceof errors.JWKSMultipleMatchingKeys)
          return verifyWithEach(token, error, verifyOptions, accepted, refusal);
        return refusal(error);
      }
    },
  };
}

/**
 * A token without `kid` when the JWKS holds several keys for its algorithm (a legacy platform
 * mid-rotation): jose leaves the choice to us, so each candidate is tried in turn.
 */
async function verifyWithEach(
  token: string,
  candidates: errors.JWKSMultipleMatchingKeys,
  verifyOptions: JWTVerifyOptions,
  accepted: (payload: JWTPayload) => JwtVerdict,
  refusal: (error: unknown) => JwtVerdict,
): Promise<JwtVerdict> {
  for await (const candidate of candidates) {
    try {
      const { payload } = await jwtVerify(token, candidate, verifyOptions);
      return accepted(payload);
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed) continue;
      return refusal(error);
    }
  }
  return { ok: false, reason: 'bad_signature' };
}
