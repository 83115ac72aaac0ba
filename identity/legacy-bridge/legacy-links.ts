// Legacy magic links arriving on the paths the legacy platform printed: a signed JWT checked with its
// verifier, or an opaque token looked up by its SHA-256 among the imported ones. `check` only reads
// (a GET shows a confirm page from it; email scanners prefetch links); `redeem` consumes, once.
//
// The order of the questions is the same in both: is the link genuine, is it still in date, may its
// account sign in, and only then, has it been used. So `check` never promises what `redeem` refuses,
// and a link is not spent on an account that cannot sign in now (it works once the account can).
import { createHash } from 'node:crypto';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { legacyLinkRedemptions, legacyLinks, patients } from '../../db/schema/index.ts';
import type { Config } from '../../infra/env.ts';
import { CLOCK_TOLERANCE_SECONDS, createLegacyJwtVerifier, type JwtRefusal } from './jwt-verifier.ts';

export type LegacyLinkSettings = NonNullable<Config['legacyBridge']['links']>;

export type LinkRefusal =
  'invalid' | 'expired' | 'used' | 'ended' | 'unknown_account' | 'locked' | 'unavailable';

export type LinkVerdict =
  | { ok: true; patientId: string; legacyId: string }
  | {
      ok: false;
      reason: LinkRefusal;
      /** Only when the link was genuine and a new link can go to this patient (`expired`, `used`). */
      patientId?: string;
    };

export interface LegacyLinks {
  /** The token when the path is one the legacy links arrive on, else null. */
  matchPath(pathname: string, search: URLSearchParams): string | null;
  /** What redeeming would answer now; changes nothing. */
  check(token: string): Promise<LinkVerdict>;
  /** Consumes the link: of any number of simultaneous redemptions of one token, one succeeds. */
  redeem(token: string): Promise<LinkVerdict>;
}

/** Longer than any link the legacy platform issued: not hashed, not looked up. */
const MAX_TOKEN_LENGTH = 8 * 1024;

type LinkKind = 'jwt' | 'opaque';

/** A genuine, in-date link and what consuming it takes. */
type Genuine =
  | { ok: true; kind: 'jwt'; legacyId: string; key: string; keepUntil: Date }
  | { ok: true; kind: 'opaque'; legacyId: string; tokenHash: string; consumed: boolean };

type Resolved =
  | Genuine
  | {
      ok: false;
      kind: LinkKind;
      reason: 'invalid' | 'expired' | 'unavailable';
      legacyId?: string;
      detail?: JwtRefusal;
    };

type Account = { id: string; state: string };

export function createLegacyLinks(deps: {
  db: Db;
  links: LegacyLinkSettings;
  parallelRunEndsAt: Date | null;
  now?: () => Date;
  /** For the JWKS (tests point it at a loopback server). */
  fetch?: typeof fetch;
}): LegacyLinks {
  const { db, links, parallelRunEndsAt } = deps;
  const now = deps.now ?? (() => new Date());
  const verifier = links.jwt ? createLegacyJwtVerifier(links.jwt, { now, fetch: deps.fetch }) : null;
  const maxAgeMs = links.jwt?.maxAgeMs ?? 0;
  const matchers = links.paths.map(compilePath);

  const ended = () => parallelRunEndsAt !== null && now().getTime() >= parallelRunEndsAt.getTime();

  async function resolve(token: string): Promise<Resolved> {
    if (isJwtShaped(token)) {
      if (!verifier) return { ok: false, kind: 'jwt', reason: 'invalid' };
      const verdict = await verifier.verify(token);
      if (!verdict.ok) {
        switch (verdict.reason) {
          case 'expired':
          case 'too_old':
            return {
              ok: false,
              kind: 'jwt',
              reason: 'expired',
              legacyId: verdict.legacyId,
              detail: verdict.reason,
            };
          case 'verifier_unavailable':
            return { ok: false, kind: 'jwt', reason: 'unavailable', detail: verdict.reason };
          case 'malformed':
          case 'bad_signature':
          case 'algorithm_not_allowed':
          case 'wrong_issuer':
          case 'wrong_audience':
          case 'no_legacy_id':
            return { ok: false, kind: 'jwt', reason: 'invalid', detail: verdict.reason };
        }
      }
      const at = now().getTime();
      // After this the verifier refuses the token anyway, so its redemption row may be pruned.
      const oldest = (verdict.issuedAt?.getTime() ?? at) + maxAgeMs;
      const keepUntil =
        Math.min(oldest, verdict.expiresAt?.getTime() ?? Infinity) + CLOCK_TOLERANCE_SECONDS * 1000;
      return {
        ok: true,
        kind: 'jwt',
        legacyId: verdict.legacyId,
        key: verdict.jti ? `jti:${verdict.jti}` : `sha256:${sha256Hex(token)}`,
        keepUntil: new Date(keepUntil),
      };
    }
    const tokenHash = sha256Hex(token);
    const [row] = await db.select().from(legacyLinks).where(eq(legacyLinks.tokenHash, tokenHash)).limit(1);
    if (!row) return { ok: false, kind: 'opaque', reason: 'invalid' };
    if (row.expiresAt && row.expiresAt.getTime() <= now().getTime())
      return { ok: false, kind: 'opaque', reason: 'expired', legacyId: row.legacyId };
    return { ok: true, kind: 'opaque', legacyId: row.legacyId, tokenHash, consumed: row.consumedAt !== null };
  }

  async function accountOf(legacyId: string): Promise<Account | null> {
    const [row] = await db
      .select({ id: patients.id, state: patients.state })
      .from(patients)
      .where(eq(patients.legacyId, legacyId))
      .limit(1);
    return row ?? null;
  }

  /** The answer for a link that is not genuine or not in date, with the patient a new link may go to. */
  async function refused(resolved: Extract<Resolved, { ok: false }>): Promise<LinkVerdict> {
    if (resolved.reason !== 'expired' || !resolved.legacyId) return { ok: false, reason: resolved.reason };
    const account = await accountOf(resolved.legacyId);
    return account && mayReceiveLink(account)
      ? { ok: false, reason: 'expired', patientId: account.id }
      : { ok: false, reason: 'expired' };
  }

  /** Everything but single use: the part `check` and `redeem` share. */
  async function evaluate(
    token: string,
  ): Promise<
    | { verdict: LinkVerdict; kind: LinkKind | null; detail?: JwtRefusal }
    | { verdict: null; link: Genuine; account: Account }
  > {
    if (ended()) return { verdict: { ok: false, reason: 'ended' }, kind: null };
    if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH)
      return { verdict: { ok: false, reason: 'invalid' }, kind: null };
    const resolved = await resolve(token);
    if (!resolved.ok)
      return { verdict: await refused(resolved), kind: resolved.kind, detail: resolved.detail };
    const account = await accountOf(resolved.legacyId);
    // A closed account is no account here: the same answer as one never imported.
    if (!account || account.state === 'closed')
      return { verdict: { ok: false, reason: 'unknown_account' }, kind: resolved.kind };
    if (account.state === 'locked') return { verdict: { ok: false, reason: 'locked' }, kind: resolved.kind };
    return { verdict: null, link: resolved, account };
  }

  async function auditRefusal(
    verdict: Extract<LinkVerdict, { ok: false }>,
    kind: LinkKind | null,
    detail?: JwtRefusal,
  ) {
    // The token never goes into the log: only what kind of link it was and why it was refused.
    await appendAudit(db, {
      action: 'patient.legacy_link_refused',
      actorType: 'system',
      subjectType: verdict.patientId ? 'patient' : null,
      subjectId: verdict.patientId ?? null,
      data: { reason: verdict.reason, kind, detail },
    });
  }

  return {
    matchPath(pathname, search) {
      const segments = splitPath(pathname);
      for (const matcher of matchers) {
        const token = matcher(segments, search, links.tokenParam);
        if (token !== null) return token;
      }
      return null;
    },

    async check(token) {
      const evaluated = await evaluate(token);
      if (evaluated.verdict) return evaluated.verdict;
      const { link, account } = evaluated;
      const used =
        link.kind === 'opaque'
          ? link.consumed
          : (
              await db
                .select({ key: legacyLinkRedemptions.key })
                .from(legacyLinkRedemptions)
                .where(eq(legacyLinkRedemptions.key, link.key))
                .limit(1)
            ).length > 0;
      if (used) return { ok: false, reason: 'used', patientId: account.id };
      return { ok: true, patientId: account.id, legacyId: link.legacyId };
    },

    async redeem(token) {
      const evaluated = await evaluate(token);
      if (evaluated.verdict) {
        if (!evaluated.verdict.ok) await auditRefusal(evaluated.verdict, evaluated.kind, evaluated.detail);
        return evaluated.verdict;
      }
      const { link, account } = evaluated;
      const at = now();
      // The consuming statement decides, and the audit row commits with it or not at all.
      const won = await db.transaction(async (tx) => {
        const consumed =
          link.kind === 'jwt'
            ? await tx
                .insert(legacyLinkRedemptions)
                .values({ key: link.key, patientId: account.id, redeemedAt: at, keepUntil: link.keepUntil })
                .onConflictDoNothing()
                .returning({ key: legacyLinkRedemptions.key })
            : await tx
                .update(legacyLinks)
                .set({ consumedAt: at })
                .where(
                  and(
                    eq(legacyLinks.tokenHash, link.tokenHash),
                    isNull(legacyLinks.consumedAt),
                    or(isNull(legacyLinks.expiresAt), gt(legacyLinks.expiresAt, at)),
                  ),
                )
                .returning({ key: legacyLinks.tokenHash });
        if (consumed.length !== 1) return false;
        await appendAudit(tx, {
          action: 'patient.legacy_link_redeemed',
          actorType: 'patient',
          actorId: account.id,
          subjectType: 'patient',
          subjectId: account.id,
          data: { kind: link.kind },
        });
        return true;
      });
      if (won) return { ok: true, patientId: account.id, legacyId: link.legacyId };

      // Someone else consumed it first, or (an opaque link) it expired between the read and the update.
      let verdict: Extract<LinkVerdict, { ok: false }> = { ok: false, reason: 'used', patientId: account.id };
      if (link.kind === 'opaque') {
        const [row] = await db
          .select({ consumedAt: legacyLinks.consumedAt })
          .from(legacyLinks)
          .where(eq(legacyLinks.tokenHash, link.tokenHash))
          .limit(1);
        if (!row) verdict = { ok: false, reason: 'invalid' };
        else if (row.consumedAt === null) verdict = { ok: false, reason: 'expired', patientId: account.id };
      }
      await auditRefusal(verdict, link.kind);
      return verdict;
    },
  };
}

/** A compact JWS has exactly two dots; anything else is an opaque token. */
function isJwtShaped(token: string): boolean {
  return token.split('.').length === 3;
}

function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Locked and closed accounts get no new link: support helps a locked one, a closed one is gone. */
function mayReceiveLink(account: Account): boolean {
  return account.state !== 'locked' && account.state !== 'closed';
}

/** The path's segments, without the empty ones a trailing (or doubled) slash makes. */
function splitPath(pathname: string): string[] {
  return pathname.split('/').filter((segment) => segment !== '');
}

type PathMatcher = (segments: string[], search: URLSearchParams, tokenParam: string) => string | null;

/**
 * `/auth/magic` takes the token from the query (`?token=`); `/m/:token` from that segment. Other
 * `:name` segments match any one segment (`/u/:id/magic/:token`).
 */
function compilePath(pattern: string): PathMatcher {
  const parts = splitPath(pattern);
  const tokenAt = parts.indexOf(':token');
  return (segments, search, tokenParam) => {
    if (segments.length !== parts.length) return null;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.startsWith(':') ? segments[i] === '' : part !== segments[i]) return null;
    }
    let token: string | null;
    if (tokenAt === -1) {
      token = search.get(tokenParam);
    } else {
      try {
        token = decodeURIComponent(segments[tokenAt]!);
      } catch {
        return null;
      }
    }
    return token ? token : null;
  };
}
