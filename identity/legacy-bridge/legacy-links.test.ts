import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asc, eq, sql } from 'drizzle-orm';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, legacyLinkRedemptions, legacyLinks, patients } from '../../db/schema/index.ts';
import type { LegacyJwtConfig } from '../../infra/env.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { freePort } from '../../test/support/http.ts';
import { createLegacyLinks, type LegacyLinkSettings } from './legacy-links.ts';

const database = privateTestDatabase();
const NOW = new Date('2026-06-01T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;
const SECRET = 'legacy-platform-link-secret-0123456789';
const HOUR = 3_600_000;

const jwt: LegacyJwtConfig = {
  algorithms: ['HS256'],
  secret: SECRET,
  issuer: 'https://legacy.example.org',
  audience: 'patient-portal',
  maxAgeMs: 24 * HOUR,
  idClaim: 'sub',
};
const settings: LegacyLinkSettings = { paths: ['/auth/magic', '/m/:token'], tokenParam: 'token', jwt };

let clock = NOW.getTime();
function links(options: { links?: LegacyLinkSettings; endsAt?: Date | null; fetch?: typeof fetch } = {}) {
  return createLegacyLinks({
    db: database.db,
    links: options.links ?? settings,
    parallelRunEndsAt: options.endsAt ?? null,
    now: () => new Date(clock),
    fetch: options.fetch,
  });
}

function sign(claims: JWTPayload = {}, options: { secret?: string; iat?: number } = {}) {
  return new SignJWT({ iss: jwt.issuer, aud: jwt.audience, sub: 'L1', jti: 'link-1', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(options.iat ?? nowSeconds - 60)
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function addPatient(legacyId: string, state: 'imported' | 'locked' | 'closed' = 'imported') {
  const [row] = await database.db
    .insert(patients)
    .values({ legacyId, state, givenName: 'Ana' })
    .returning({ id: patients.id });
  return row!.id;
}

async function addOpaque(token: string, legacyId: string, expiresAt: Date | null = null) {
  await database.db.insert(legacyLinks).values({ tokenHash: sha256(token), legacyId, expiresAt });
}

async function auditRows() {
  return database.db
    .select({ action: auditEvents.action, subjectId: auditEvents.subjectId, data: auditEvents.data })
    .from(auditEvents)
    .orderBy(asc(auditEvents.seq));
}

let patientId: string;
beforeEach(async () => {
  clock = NOW.getTime();
  // The shared reset empties the tables that reference patients; imported hashes stand alone.
  await database.db.execute(sql`delete from legacy_links`);
  await database.db.execute(sql`delete from legacy_link_redemptions`);
  patientId = await addPatient('L1');
});

describe('matchPath', () => {
  const match = (url: string) => {
    const matcher = links({
      links: { ...settings, paths: ['/auth/magic', '/m/:token', '/u/:id/login/:token'], tokenParam: 't' },
    });
    const parsed = new URL(url, 'https://portal.example.org');
    return matcher.matchPath(parsed.pathname, parsed.searchParams);
  };

  it.each([
    ['/auth/magic?t=abc123', 'abc123'],
    ['/auth/magic/?t=abc123&utm_source=email', 'abc123'],
    ['/auth/magic?t=a%2Bb%3D', 'a+b='],
    ['/m/abc.def.ghi', 'abc.def.ghi'],
    ['/m/abc%2Fdef', 'abc/def'],
    ['/u/77/login/tok', 'tok'],
  ])('finds the token in %s', (url, token) => {
    expect(match(url)).toBe(token);
  });

  it.each([
    ['/auth/magic'],
    ['/auth/magic?t='],
    ['/auth/magic?token=abc'],
    ['/auth/magical?t=abc'],
    ['/AUTH/MAGIC?t=abc'],
    ['/m'],
    ['/m/'],
    ['/m/abc/extra'],
    ['/m/%E0%A4%A'],
    ['/u/login/tok'],
    ['/'],
  ])('finds nothing in %s', (url) => {
    expect(match(url)).toBeNull();
  });
});

describe('legacy JWT links', () => {
  it('checks without changing anything, then redeems once', async () => {
    const token = await sign();
    const service = links();
    expect(await service.check(token)).toEqual({ ok: true, patientId, legacyId: 'L1' });
    expect(await service.check(token)).toEqual({ ok: true, patientId, legacyId: 'L1' });
    expect(await database.db.select().from(legacyLinkRedemptions)).toEqual([]);
    expect(await auditRows()).toEqual([]);

    expect(await service.redeem(token)).toEqual({ ok: true, patientId, legacyId: 'L1' });
    const [redemption] = await database.db.select().from(legacyLinkRedemptions);
    expect(redemption).toMatchObject({ key: 'jti:link-1', patientId });
    // Kept until the token is too old anyway (iat + 24 h, plus the clock tolerance).
    expect(redemption!.keepUntil).toEqual(new Date((nowSeconds - 60) * 1000 + 24 * HOUR + 5_000));

    expect(await service.redeem(token)).toEqual({ ok: false, reason: 'used', patientId });
    expect(await service.check(token)).toEqual({ ok: false, reason: 'used', patientId });
    const audit = await auditRows();
    expect(audit).toEqual([
      { action: 'patient.legacy_link_redeemed', subjectId: patientId, data: { kind: 'jwt' } },
      {
        action: 'patient.legacy_link_refused',
        subjectId: patientId,
        data: { reason: 'used', kind: 'jwt' },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(token.split('.')[2]);
  });

  it('marks a token without jti used by its hash', async () => {
    const token = await sign({ jti: undefined });
    expect(await links().redeem(token)).toEqual({ ok: true, patientId, legacyId: 'L1' });
    expect((await database.db.select().from(legacyLinkRedemptions))[0]!.key).toBe(`sha256:${sha256(token)}`);
    expect(await links().redeem(token)).toEqual({ ok: false, reason: 'used', patientId });
  });

  it('gives exactly one of ten simultaneous redemptions', async () => {
    const token = await sign();
    const service = links();
    const results = await Promise.all(Array.from({ length: 10 }, () => service.redeem(token)));
    expect(results.filter((r) => r.ok)).toEqual([{ ok: true, patientId, legacyId: 'L1' }]);
    expect(results.filter((r) => !r.ok)).toEqual(
      Array.from({ length: 9 }, () => ({ ok: false, reason: 'used', patientId })),
    );
    expect(await database.db.select().from(legacyLinkRedemptions)).toHaveLength(1);
    const actions = (await auditRows()).map((r) => r.action);
    expect(actions.filter((a) => a === 'patient.legacy_link_redeemed')).toHaveLength(1);
    expect(actions.filter((a) => a === 'patient.legacy_link_refused')).toHaveLength(9);
  });

  it('refuses a token signed with the wrong key, and alg none, as invalid', async () => {
    const forged = await sign({}, { secret: 'someone-else-s-secret-0123456789' });
    expect(await links().check(forged)).toEqual({ ok: false, reason: 'invalid' });
    expect(await links().redeem(forged)).toEqual({ ok: false, reason: 'invalid' });
    const unsigned = `${b64({ alg: 'none' })}.${b64({ iss: jwt.issuer, aud: jwt.audience, sub: 'L1', iat: nowSeconds })}.`;
    expect(await links().redeem(unsigned)).toEqual({ ok: false, reason: 'invalid' });
    expect((await auditRows()).map((r) => r.data)).toEqual([
      { reason: 'invalid', kind: 'jwt', detail: 'bad_signature' },
      { reason: 'invalid', kind: 'jwt', detail: 'algorithm_not_allowed' },
    ]);
    expect(await database.db.select().from(legacyLinkRedemptions)).toEqual([]);
  });

  it('refuses the wrong issuer and audience as invalid', async () => {
    expect(await links().redeem(await sign({ iss: 'https://evil.example' }))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await links().redeem(await sign({ aud: 'another-app' }))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect((await auditRows()).map((r) => r.data.detail)).toEqual(['wrong_issuer', 'wrong_audience']);
  });

  it('says expired, naming the patient for a new link, when past exp or too old', async () => {
    const expired = await sign({ exp: nowSeconds - 60 }, { iat: nowSeconds - 3600 });
    expect(await links().check(expired)).toEqual({ ok: false, reason: 'expired', patientId });
    expect(await links().redeem(expired)).toEqual({ ok: false, reason: 'expired', patientId });
    const old = await sign({}, { iat: nowSeconds - 25 * 3600 });
    expect(await links().redeem(old)).toEqual({ ok: false, reason: 'expired', patientId });
    expect((await auditRows()).map((r) => [r.subjectId, r.data])).toEqual([
      [patientId, { reason: 'expired', kind: 'jwt', detail: 'expired' }],
      [patientId, { reason: 'expired', kind: 'jwt', detail: 'too_old' }],
    ]);
  });

  it('offers no new link for an expired link of a locked or unknown account', async () => {
    await addPatient('L2', 'locked');
    const expired = (sub: string) => sign({ sub, exp: nowSeconds - 60 }, { iat: nowSeconds - 3600 });
    expect(await links().check(await expired('L2'))).toEqual({ ok: false, reason: 'expired' });
    expect(await links().check(await expired('L404'))).toEqual({ ok: false, reason: 'expired' });
  });

  it('says unknown_account for a legacy id no patient has, or a closed one, and locked for a locked one', async () => {
    await addPatient('L2', 'locked');
    await addPatient('L3', 'closed');
    expect(await links().redeem(await sign({ sub: 'L404', jti: 'a' }))).toEqual({
      ok: false,
      reason: 'unknown_account',
    });
    expect(await links().redeem(await sign({ sub: 'L3', jti: 'b' }))).toEqual({
      ok: false,
      reason: 'unknown_account',
    });
    const locked = await sign({ sub: 'L2', jti: 'c' });
    expect(await links().redeem(locked)).toEqual({ ok: false, reason: 'locked' });
    // Not spent on an account that cannot sign in now: it works once support unlocks it.
    expect(await database.db.select().from(legacyLinkRedemptions)).toEqual([]);
    await database.db.update(patients).set({ state: 'imported' }).where(eq(patients.legacyId, 'L2'));
    expect(await links().redeem(locked)).toMatchObject({ ok: true, legacyId: 'L2' });
  });

  it('treats a JWT as invalid when no verifier is configured', async () => {
    const token = await sign();
    expect(await links({ links: { ...settings, jwt: null } }).redeem(token)).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('says unavailable when the legacy JWKS cannot be reached', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ iss: jwt.issuer, aud: jwt.audience, sub: 'L1' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuedAt(nowSeconds - 60)
      .sign(privateKey);
    const service = links({
      links: {
        ...settings,
        jwt: {
          ...jwt,
          secret: undefined,
          algorithms: ['RS256'],
          jwksUrl: `http://127.0.0.1:${await freePort()}/jwks`,
        },
      },
    });
    expect(await service.check(token)).toEqual({ ok: false, reason: 'unavailable' });
    expect(await service.redeem(token)).toEqual({ ok: false, reason: 'unavailable' });
  });

  it('redeems an RS256 link verified against a JWKS served on loopback', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] };
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const service = links({
        links: {
          ...settings,
          jwt: {
            ...jwt,
            secret: undefined,
            algorithms: ['RS256'],
            jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
          },
        },
      });
      const token = await new SignJWT({ iss: jwt.issuer, aud: jwt.audience, sub: 'L1', jti: 'rs-1' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuedAt(nowSeconds - 60)
        .sign(privateKey);
      expect(await service.redeem(token)).toEqual({ ok: true, patientId, legacyId: 'L1' });
      expect(await service.redeem(token)).toEqual({ ok: false, reason: 'used', patientId });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('imported opaque links', () => {
  const token = 'Qm9yaW5nT3BhcXVlVG9rZW4xMjM0NTY3ODk';

  it('checks without changing anything, then redeems once', async () => {
    await addOpaque(token, 'L1', new Date(NOW.getTime() + HOUR));
    const service = links();
    expect(await service.check(token)).toEqual({ ok: true, patientId, legacyId: 'L1' });
    expect((await database.db.select().from(legacyLinks))[0]!.consumedAt).toBeNull();
    expect(await service.redeem(token)).toEqual({ ok: true, patientId, legacyId: 'L1' });
    expect((await database.db.select().from(legacyLinks))[0]!.consumedAt).toEqual(NOW);
    expect(await service.redeem(token)).toEqual({ ok: false, reason: 'used', patientId });
    expect(await service.check(token)).toEqual({ ok: false, reason: 'used', patientId });
    expect((await auditRows()).map((r) => [r.action, r.data])).toEqual([
      ['patient.legacy_link_redeemed', { kind: 'opaque' }],
      ['patient.legacy_link_refused', { reason: 'used', kind: 'opaque' }],
    ]);
  });

  it('gives exactly one of ten simultaneous redemptions', async () => {
    await addOpaque(token, 'L1');
    const service = links();
    const results = await Promise.all(Array.from({ length: 10 }, () => service.redeem(token)));
    expect(results.filter((r) => r.ok)).toEqual([{ ok: true, patientId, legacyId: 'L1' }]);
    expect(results.filter((r) => !r.ok)).toEqual(
      Array.from({ length: 9 }, () => ({ ok: false, reason: 'used', patientId })),
    );
  });

  it('says expired after expires_at, naming the patient for a new link', async () => {
    await addOpaque(token, 'L1', new Date(NOW.getTime() - 1));
    expect(await links().check(token)).toEqual({ ok: false, reason: 'expired', patientId });
    expect(await links().redeem(token)).toEqual({ ok: false, reason: 'expired', patientId });
    expect((await database.db.select().from(legacyLinks))[0]!.consumedAt).toBeNull();
  });

  it('says invalid for a token that was never imported', async () => {
    await addOpaque(token, 'L1');
    expect(await links().check(`${token}x`)).toEqual({ ok: false, reason: 'invalid' });
    expect(await links().redeem(`${token}x`)).toEqual({ ok: false, reason: 'invalid' });
    expect(await links().redeem('')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('says unknown_account when no patient has the legacy id (yet)', async () => {
    await addOpaque(token, 'L404');
    expect(await links().redeem(token)).toEqual({ ok: false, reason: 'unknown_account' });
    const late = await addPatient('L404');
    expect(await links().redeem(token)).toEqual({ ok: true, patientId: late, legacyId: 'L404' });
  });
});

describe('the end of the parallel run', () => {
  it('ends every link, genuine or not, without consuming it', async () => {
    const token = await sign();
    await addOpaque('opaque-token-123', 'L1');
    const endsAt = new Date(NOW.getTime() + HOUR);
    expect(await links({ endsAt }).check(token)).toEqual({ ok: true, patientId, legacyId: 'L1' });
    clock = endsAt.getTime();
    for (const t of [token, 'opaque-token-123', 'nonsense']) {
      expect(await links({ endsAt }).check(t)).toEqual({ ok: false, reason: 'ended' });
      expect(await links({ endsAt }).redeem(t)).toEqual({ ok: false, reason: 'ended' });
    }
    expect(await database.db.select().from(legacyLinkRedemptions)).toEqual([]);
    expect((await database.db.select().from(legacyLinks))[0]!.consumedAt).toBeNull();
    expect((await auditRows()).map((r) => r.data.reason)).toEqual(['ended', 'ended', 'ended']);
  });
});
