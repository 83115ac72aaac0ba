import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, patients } from '../../db/schema/index.ts';
import type { LegacyJwtConfig } from '../../infra/env.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { freePort } from '../../test/support/http.ts';
import { createLegacySessionBridge, type LegacySessionSettings } from './legacy-session.ts';

const database = privateTestDatabase();
const NOW = new Date('2026-06-01T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;
const SECRET = 'legacy-platform-session-secret-0123';
const HOUR = 3_600_000;

const jwt: LegacyJwtConfig = {
  algorithms: ['HS256'],
  secret: SECRET,
  issuer: 'https://legacy.example.org',
  audience: undefined,
  maxAgeMs: 12 * HOUR,
  idClaim: 'uid',
};
const jwtSession: LegacySessionSettings = {
  cookieName: 'legacy_sid',
  jwt,
  introspection: null,
  maxAgeMs: 12 * HOUR,
};

function bridge(session: LegacySessionSettings = jwtSession, endsAt: Date | null = null) {
  return createLegacySessionBridge({ session, parallelRunEndsAt: endsAt, db: database.db, now: () => NOW });
}

function sign(claims: JWTPayload = {}, iat = nowSeconds - 600, secret = SECRET) {
  return new SignJWT({ iss: jwt.issuer, uid: 'L1', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(iat)
    .sign(new TextEncoder().encode(secret));
}

let patientId: string;
beforeEach(async () => {
  const [row] = await database.db
    .insert(patients)
    .values({ legacyId: 'L1', givenName: 'Rosa' })
    .returning({ id: patients.id });
  patientId = row!.id;
  await database.db.insert(patients).values([
    { legacyId: 'L2', state: 'locked' },
    { legacyId: 'L3', state: 'closed' },
  ]);
});

describe('legacy session cookie (JWT)', () => {
  it('recognises a genuine session, with its sign-in time, and writes nothing', async () => {
    const token = await sign({ auth_time: nowSeconds - 3 * 3600 });
    expect(bridge().cookieName).toBe('legacy_sid');
    expect(await bridge().check(token)).toEqual({
      ok: true,
      patientId,
      legacyId: 'L1',
      givenName: 'Rosa',
      authTime: new Date((nowSeconds - 3 * 3600) * 1000),
    });
    // Without auth_time, the token's iat is the sign-in time.
    expect(await bridge().check(await sign())).toMatchObject({
      ok: true,
      authTime: new Date((nowSeconds - 600) * 1000),
    });
    expect(await database.db.select().from(auditEvents)).toEqual([]);
  });

  it('says absent with no cookie', async () => {
    expect(await bridge().check(undefined)).toEqual({ ok: false, reason: 'absent' });
    expect(await bridge().check('')).toEqual({ ok: false, reason: 'absent' });
  });

  it('refuses a tampered session as invalid', async () => {
    const [header, , signature] = (await sign()).split('.');
    const payload = Buffer.from(JSON.stringify({ iss: jwt.issuer, uid: 'L2', iat: nowSeconds })).toString(
      'base64url',
    );
    expect(await bridge().check(`${header}.${payload}.${signature}`)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await bridge().check(await sign({}, nowSeconds - 600, 'a-different-secret-0123456789'))).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await bridge().check('not-a-jwt')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('says expired past exp, when issued too long ago, or when the sign-in is too old', async () => {
    expect(await bridge().check(await sign({ exp: nowSeconds - 60 }))).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(await bridge().check(await sign({}, nowSeconds - 13 * 3600))).toEqual({
      ok: false,
      reason: 'expired',
    });
    // A token refreshed a minute ago for a sign-in 13 hours ago.
    expect(await bridge().check(await sign({ auth_time: nowSeconds - 13 * 3600 }, nowSeconds - 60))).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('says unknown_account, or locked, for accounts that cannot sign in here', async () => {
    expect(await bridge().check(await sign({ uid: 'L404' }))).toEqual({
      ok: false,
      reason: 'unknown_account',
    });
    expect(await bridge().check(await sign({ uid: 'L3' }))).toEqual({ ok: false, reason: 'unknown_account' });
    expect(await bridge().check(await sign({ uid: 'L2' }))).toEqual({ ok: false, reason: 'locked' });
  });

  it('says ended after the parallel run', async () => {
    const token = await sign();
    expect(await bridge(jwtSession, new Date(NOW.getTime() + 1)).check(token)).toMatchObject({ ok: true });
    expect(await bridge(jwtSession, NOW).check(token)).toEqual({ ok: false, reason: 'ended' });
  });
});

describe('legacy session cookie (introspection)', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const introspecting = (secret: string | null = 'introspection-secret-01') =>
    bridge({
      cookieName: 'SESSIONID',
      jwt: null,
      introspection: { url, secret: secret ?? undefined },
      maxAgeMs: 12 * HOUR,
    });

  it('asks the legacy platform and recognises an active session', async () => {
    answer = { status: 200, body: { active: true, sub: 'L1', auth_time: nowSeconds - 120 } };
    expect(await introspecting().check('opaque session/value+=')).toEqual({
      ok: true,
      patientId,
      legacyId: 'L1',
      givenName: 'Rosa',
      authTime: new Date((nowSeconds - 120) * 1000),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toBe('token=opaque+session%2Fvalue%2B%3D');
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen[0]!.headers.authorization).toBe('Bearer introspection-secret-01');

    await introspecting(null).check('abc');
    expect(seen[1]!.headers.authorization).toBeUndefined();
  });

  it('prefers legacy_id over sub, and takes iat when there is no auth_time', async () => {
    answer = {
      status: 200,
      body: { active: true, sub: 'session-user-9', legacy_id: 'L1', iat: nowSeconds - 60 },
    };
    expect(await introspecting().check('abc')).toMatchObject({
      ok: true,
      legacyId: 'L1',
      authTime: new Date((nowSeconds - 60) * 1000),
    });
  });

  it('says invalid for an inactive session, or an answer without identity or sign-in time', async () => {
    for (const body of [
      { active: false },
      { active: 'true', sub: 'L1', iat: nowSeconds },
      { active: true, iat: nowSeconds },
      { active: true, sub: 'L1' },
    ]) {
      answer = { status: 200, body };
      expect(await introspecting().check('abc')).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('says expired for a session signed in too long ago or past its exp', async () => {
    answer = { status: 200, body: { active: true, sub: 'L1', auth_time: nowSeconds - 13 * 3600 } };
    expect(await introspecting().check('abc')).toEqual({ ok: false, reason: 'expired' });
    answer = { status: 200, body: { active: true, sub: 'L1', iat: nowSeconds - 600, exp: nowSeconds - 60 } };
    expect(await introspecting().check('abc')).toEqual({ ok: false, reason: 'expired' });
  });

  it('says locked and unknown_account from the account here', async () => {
    answer = { status: 200, body: { active: true, sub: 'L2', iat: nowSeconds } };
    expect(await introspecting().check('abc')).toEqual({ ok: false, reason: 'locked' });
    answer = { status: 200, body: { active: true, sub: 'L404', iat: nowSeconds } };
    expect(await introspecting().check('abc')).toEqual({ ok: false, reason: 'unknown_account' });
  });

  it('says unavailable when the legacy platform errs, answers nonsense, or is down', async () => {
    answer = { status: 500, body: { error: 'boom' } };
    expect(await introspecting().check('abc')).toEqual({ ok: false, reason: 'unavailable' });
    answer = { status: 200, body: '<html>maintenance</html>' };
    expect(await introspecting().check('abc')).toEqual({ ok: false, reason: 'unavailable' });
    const down = bridge({
      cookieName: 'SESSIONID',
      jwt: null,
      introspection: { url: `http://127.0.0.1:${await freePort()}/introspect`, secret: undefined },
      maxAgeMs: 12 * HOUR,
    });
    expect(await down.check('abc')).toEqual({ ok: false, reason: 'unavailable' });
  });
});
