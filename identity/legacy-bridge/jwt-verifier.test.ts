import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LegacyJwtConfig } from '../../infra/env.ts';
import { freePort } from '../../test/support/http.ts';
import { createLegacyJwtVerifier } from './jwt-verifier.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const nowSeconds = NOW.getTime() / 1000;
const SECRET = 'legacy-platform-link-secret-0123456789';
const HOUR = 3_600_000;

const hsConfig: LegacyJwtConfig = {
  algorithms: ['HS256'],
  secret: SECRET,
  issuer: 'https://legacy.example.org',
  audience: 'patient-portal',
  maxAgeMs: 24 * HOUR,
  idClaim: 'sub',
};

function sign(
  claims: JWTPayload,
  options: { secret?: string; alg?: string; iat?: number | null; kid?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({
    iss: hsConfig.issuer,
    aud: hsConfig.audience,
    sub: 'L00042',
    ...claims,
  }).setProtectedHeader({ alg: options.alg ?? 'HS256', ...(options.kid ? { kid: options.kid } : {}) });
  if (options.iat !== null) jwt.setIssuedAt(options.iat ?? nowSeconds - 60);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function verifier(config: Partial<LegacyJwtConfig> = {}) {
  return createLegacyJwtVerifier({ ...hsConfig, ...config }, { now: () => NOW });
}

describe('legacy JWT verifier with a shared secret', () => {
  it('accepts a genuine token and reads the legacy id, jti and dates', async () => {
    const token = await sign({ jti: 'link-1', exp: nowSeconds + 600 });
    expect(await verifier().verify(token)).toEqual({
      ok: true,
      legacyId: 'L00042',
      jti: 'link-1',
      issuedAt: new Date((nowSeconds - 60) * 1000),
      expiresAt: new Date((nowSeconds + 600) * 1000),
    });
  });

  it('reads the legacy id from the configured claim, numbers included', async () => {
    const token = await sign({ uid: 90210 });
    expect(await verifier({ idClaim: 'uid' }).verify(token)).toMatchObject({ ok: true, legacyId: '90210' });
    expect(await verifier({ idClaim: 'patient_id' }).verify(token)).toEqual({
      ok: false,
      reason: 'no_legacy_id',
    });
  });

  it('refuses a token signed with another key', async () => {
    const token = await sign({}, { secret: 'someone-else-s-secret-0123456789' });
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await sign({})).split('.');
    const forged = `${header}.${b64({ iss: hsConfig.issuer, aud: hsConfig.audience, sub: 'L00001', iat: nowSeconds })}.${signature}`;
    expect(await verifier().verify(forged)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses alg none, with or without a signature', async () => {
    const payload = b64({ iss: hsConfig.issuer, aud: hsConfig.audience, sub: 'L00042', iat: nowSeconds });
    for (const header of [{ alg: 'none' }, { alg: 'none', typ: 'JWT' }, { alg: 'NONE' }]) {
      expect(await verifier().verify(`${b64(header)}.${payload}.`)).toEqual({
        ok: false,
        reason: 'algorithm_not_allowed',
      });
      expect(await verifier().verify(`${b64(header)}.${payload}.c2lnbmF0dXJl`)).toEqual({
        ok: false,
        reason: 'algorithm_not_allowed',
      });
    }
  });

  it('refuses an algorithm that is not configured', async () => {
    const token = await sign({}, { alg: 'HS512' });
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'algorithm_not_allowed' });
  });

  it('says expired, with the legacy id, for a genuine token past its exp', async () => {
    const token = await sign({ exp: nowSeconds - 60 }, { iat: nowSeconds - 3600 });
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'expired', legacyId: 'L00042' });
  });

  it('gives no legacy id for an expired token whose signature is wrong', async () => {
    const token = await sign({ exp: nowSeconds - 60 }, { secret: 'someone-else-s-secret-0123456789' });
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('says too_old, with the legacy id, for a token issued before the maximum age', async () => {
    const token = await sign({ exp: nowSeconds + 3600 }, { iat: nowSeconds - 25 * 3600 });
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'too_old', legacyId: 'L00042' });
  });

  it('tolerates a few seconds of clock difference, not more', async () => {
    expect(await verifier().verify(await sign({ exp: nowSeconds - 3 }))).toMatchObject({ ok: true });
    expect(await verifier().verify(await sign({}, { iat: nowSeconds + 3 }))).toMatchObject({ ok: true });
    expect(await verifier().verify(await sign({}, { iat: nowSeconds + 60 }))).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('refuses a token without iat: its age cannot be known', async () => {
    const token = await sign({ exp: nowSeconds + 600 }, { iat: null });
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses the wrong issuer and the wrong audience', async () => {
    expect(await verifier().verify(await sign({ iss: 'https://evil.example' }))).toEqual({
      ok: false,
      reason: 'wrong_issuer',
    });
    expect(await verifier().verify(await sign({ aud: 'another-app' }))).toEqual({
      ok: false,
      reason: 'wrong_audience',
    });
    // Expired and from another issuer: nothing about the patient is offered.
    expect(
      await verifier().verify(await sign({ iss: 'https://evil.example', exp: nowSeconds - 60 })),
    ).toEqual({ ok: false, reason: 'wrong_issuer' });
  });

  it.each([
    ['empty', ''],
    ['not a JWT', 'abcdef'],
    ['two parts', 'abc.def'],
    ['garbage parts', 'a.b.c'],
    ['a header that is not JSON', `${Buffer.from('{alg').toString('base64url')}.e30.sig`],
    ['too long', `${'a'.repeat(9000)}.b.c`],
  ])('says malformed for %s', async (_name, token) => {
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses to be configured with none, or with a secret for public-key algorithms', () => {
    expect(() => createLegacyJwtVerifier({ ...hsConfig, algorithms: ['none'] })).toThrow(
      'the algorithm "none" is never allowed',
    );
    expect(() => createLegacyJwtVerifier({ ...hsConfig, algorithms: ['RS256'] })).toThrow(
      'a shared secret verifies only HS algorithms, not RS256',
    );
  });
});

describe('legacy JWT verifier with the legacy platform JWKS', () => {
  let server: Server;
  let jwksUrl: string;
  let served: { status: number; keys: JWK[] };
  let requests = 0;
  let current: CryptoKey;
  let rotated: CryptoKey;
  let stranger: CryptoKey;

  beforeAll(async () => {
    const first = await generateKeyPair('RS256');
    const second = await generateKeyPair('RS256');
    const third = await generateKeyPair('RS256');
    current = first.privateKey;
    rotated = second.privateKey;
    stranger = third.privateKey;
    served = {
      status: 200,
      keys: [
        { ...(await exportJWK(first.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(second.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' },
      ],
    };
    server = createServer((req, res) => {
      requests += 1;
      res.writeHead(served.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: served.keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const rsConfig = (url: string): LegacyJwtConfig => ({
    algorithms: ['RS256'],
    jwksUrl: url,
    issuer: hsConfig.issuer,
    audience: hsConfig.audience,
    maxAgeMs: 24 * HOUR,
    idClaim: 'sub',
  });

  function signRs(key: CryptoKey, kid?: string, claims: JWTPayload = {}) {
    return new SignJWT({ iss: hsConfig.issuer, aud: hsConfig.audience, sub: 'L00042', ...claims })
      .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
      .setIssuedAt(nowSeconds - 60)
      .sign(key);
  }

  it('verifies RS256 tokens against the fetched key set, by kid or without one', async () => {
    const verifier = createLegacyJwtVerifier(rsConfig(jwksUrl), { now: () => NOW });
    expect(await verifier.verify(await signRs(current, 'k1'))).toMatchObject({
      ok: true,
      legacyId: 'L00042',
    });
    expect(await verifier.verify(await signRs(rotated, 'k2'))).toMatchObject({
      ok: true,
      legacyId: 'L00042',
    });
    // No kid and two RS256 keys published (mid-rotation): each is tried.
    expect(await verifier.verify(await signRs(rotated))).toMatchObject({ ok: true, legacyId: 'L00042' });
  });

  it('refuses a token signed by a key the legacy platform does not publish', async () => {
    const verifier = createLegacyJwtVerifier(rsConfig(jwksUrl), { now: () => NOW });
    expect(await verifier.verify(await signRs(stranger, 'k1'))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(await verifier.verify(await signRs(stranger))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(await verifier.verify(await signRs(stranger, 'k9'))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses an HS256 token made with the public key as a secret (algorithm confusion)', async () => {
    const verifier = createLegacyJwtVerifier(rsConfig(jwksUrl), { now: () => NOW });
    const token = await sign({}, { secret: JSON.stringify(served.keys[0]), kid: 'k1' });
    expect(await verifier.verify(token)).toEqual({ ok: false, reason: 'algorithm_not_allowed' });
  });

  it('uses the fetch it is given', async () => {
    const seen: string[] = [];
    const verifier = createLegacyJwtVerifier(rsConfig('https://legacy.example.org/jwks.json'), {
      now: () => NOW,
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(jwksUrl, init);
      },
    });
    expect(await verifier.verify(await signRs(current, 'k1'))).toMatchObject({ ok: true });
    expect(seen).toEqual(['https://legacy.example.org/jwks.json']);
  });

  it('says verifier_unavailable when the JWKS cannot be fetched', async () => {
    const down = `http://127.0.0.1:${await freePort()}/jwks.json`;
    const unreachable = createLegacyJwtVerifier(rsConfig(down), { now: () => NOW });
    expect(await unreachable.verify(await signRs(current, 'k1'))).toEqual({
      ok: false,
      reason: 'verifier_unavailable',
    });

    served.status = 500;
    try {
      const failing = createLegacyJwtVerifier(rsConfig(jwksUrl), { now: () => NOW });
      const before = requests;
      expect(await failing.verify(await signRs(current, 'k1'))).toEqual({
        ok: false,
        reason: 'verifier_unavailable',
      });
      expect(requests).toBe(before + 1);
    } finally {
      served.status = 200;
    }
  });
});
