import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditEvents, patientCredentials, patients } from '../db/schema/index.ts';
import { openTestDatabase, type TestDatabase } from '../test/support/db.ts';
import { closeOffThreadPool } from './credentials/offthread.ts';
import { createFieldCipher } from './encryption.ts';
import { createLegacyVerifier, signLegacyRequest, type LegacyVerifier } from './legacy-verify.ts';
import { createPatientSignIn } from './patient-sign-in.ts';
import { importSampleExport } from '../test/support/fixtures.ts';

const PASSWORD = 'Sunrise-Clinic-2019';
let database: TestDatabase;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
  await closeOffThreadPool();
});
beforeEach(async () => {
  await database.reset();
  await importSampleExport({
    db: database.db,
    cipher: createFieldCipher(randomBytes(32).toString('base64url')),
  });
});

function service(legacyVerifier?: LegacyVerifier) {
  return createPatientSignIn({ db: database.db, defaultRegion: 'US', legacyVerifier });
}

async function credentialOf(legacyId: string) {
  const [row] = await database.db
    .select({
      family: patientCredentials.family,
      origin: patientCredentials.origin,
      encoded: patientCredentials.encoded,
    })
    .from(patientCredentials)
    .innerJoin(patients, eq(patients.id, patientCredentials.patientId))
    .where(eq(patients.legacyId, legacyId));
  return row;
}

async function patient(legacyId: string) {
  return (await database.db.select().from(patients).where(eq(patients.legacyId, legacyId)))[0]!;
}

describe('patient sign-in with a legacy password', () => {
  it.each([
    ['james.okafor@example.org', 'L00002', 'django_pbkdf2_sha256'],
    ['ana.silva@example.org', 'L00003', 'phpass'],
    ['wei.chen@example.org', 'L00004', 'sha512_crypt'],
    ['fatima.haddad@example.org', 'L00005', 'ldap_ssha'],
    ['olga.ivanova@example.org', 'L00006', 'argon2id'],
    ['tom.becker@example.org', 'L00007', 'apr1'],
    ['Grace.Kim@Example.org', 'L00008', 'aspnet_identity_v3'],
    ['(415) 555-0109', 'L00009', 'django_bcrypt_sha256'],
  ])(
    'signs %s in, upgrades the %s hash to argon2id and bridges the patient',
    async (identifier, legacyId, family) => {
      expect((await credentialOf(legacyId))?.family).toBe(family);
      const result = await service().signInWithPassword({ identifier, password: PASSWORD });
      expect(result).toEqual({
        ok: true,
        patientId: (await patient(legacyId)).id,
        amr: 'legacy_pwd',
        firstSignIn: true,
        upgraded: true,
      });
      const credential = await credentialOf(legacyId);
      expect(credential?.family).toBe('argon2id');
      expect(credential?.origin).toBe('causeway');
      expect(credential?.encoded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect((await patient(legacyId)).state).toBe('bridged');

      const again = await service().signInWithPassword({ identifier, password: PASSWORD });
      expect(again).toMatchObject({ ok: true, amr: 'pwd', firstSignIn: false, upgraded: false });
    },
  );

  it('gives one answer for a wrong password, an unknown identifier and an account with no password', async () => {
    const sign = service();
    expect(
      await sign.signInWithPassword({ identifier: 'james.okafor@example.org', password: 'nope' }),
    ).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect(await sign.signInWithPassword({ identifier: 'nobody@example.org', password: PASSWORD })).toEqual({
      ok: false,
      reason: 'invalid_credentials',
    });
    expect(
      await sign.signInWithPassword({ identifier: 'no.password@example.org', password: PASSWORD }),
    ).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect(
      await sign.signInWithPassword({ identifier: 'unknown.format@example.org', password: PASSWORD }),
    ).toEqual({ ok: false, reason: 'invalid_credentials' });
    expect((await patient('L00002')).state).toBe('imported');
  });

  it('never writes the password or a hash into the audit log', async () => {
    await service().signInWithPassword({ identifier: 'james.okafor@example.org', password: PASSWORD });
    await service().signInWithPassword({
      identifier: 'james.okafor@example.org',
      password: 'Wrong-Password-1',
    });
    const events = JSON.stringify(await database.db.select().from(auditEvents));
    expect(events).toContain('patient.sign_in');
    expect(events).toContain('patient.credential_upgraded');
    for (const secret of [PASSWORD, 'Wrong-Password-1', 'pbkdf2_sha256$', '$argon2id$'])
      expect(events).not.toContain(secret);
  });

  it('on a shared email, signs in only when exactly one account accepts the password', async () => {
    // L00001 (bcrypt) and L00011 (md5-crypt) share maria.lopez@example.org and both accept the password.
    const both = await service().signInWithPassword({
      identifier: 'maria.lopez@example.org',
      password: PASSWORD,
    });
    expect(both).toEqual({ ok: false, reason: 'ambiguous_account' });
    const flagged = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'patient.sign_in_ambiguous'));
    expect(flagged).toHaveLength(2);

    // Give L00011 a different password: now only L00001 accepts.
    const other = await patient('L00011');
    await database.db
      .update(patientCredentials)
      .set({ encoded: '$1$s55tb/5R$AAAAAAAAAAAAAAAAAAAAAA' })
      .where(eq(patientCredentials.patientId, other.id));
    const one = await service().signInWithPassword({
      identifier: 'MARIA.LOPEZ@example.org',
      password: PASSWORD,
    });
    expect(one).toMatchObject({ ok: true, patientId: (await patient('L00001')).id });
  });

  it('upgrades exactly once when two sign-ins race', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        service().signInWithPassword({ identifier: 'tom.becker@example.org', password: PASSWORD }),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.filter((r) => r.ok && r.upgraded)).toHaveLength(1);
    const upgrades = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'patient.credential_upgraded'));
    expect(upgrades).toHaveLength(1);
  });

  it('turns attempts away as busy beyond the verification limit instead of queueing them', async () => {
    const sign = createPatientSignIn({ db: database.db, defaultRegion: 'US', maxConcurrent: 1 });
    const results = await Promise.all([
      sign.signInWithPassword({ identifier: 'james.okafor@example.org', password: PASSWORD }),
      sign.signInWithPassword({ identifier: 'ana.silva@example.org', password: PASSWORD }),
    ]);
    expect(results[0]).toMatchObject({ ok: true });
    expect(results[1]).toEqual({ ok: false, reason: 'busy' });
  });
});

describe('legacy fallback for accounts without a usable exported hash', () => {
  const secret = 'a-legacy-shared-secret-of-32-chars!!';
  let server: Server;
  let url: string;
  let calls = 0;
  let mode: 'answer' | 'hang' | 'error' = 'answer';

  beforeAll(async () => {
    // The legacy platform's verify endpoint: checks our signature, answers for one known account.
    server = createServer((req, res) => {
      calls += 1;
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (mode === 'hang') return;
        if (mode === 'error') {
          res.writeHead(502).end();
          return;
        }
        const timestamp = String(req.headers['x-causeway-timestamp']);
        if (req.headers['x-causeway-signature'] !== signLegacyRequest(secret, timestamp, body)) {
          res.writeHead(401).end();
          return;
        }
        const { legacy_id, password } = JSON.parse(body) as { legacy_id: string; password: string };
        const result =
          legacy_id === 'L00010'
            ? password === 'Legacy-Only-2020'
              ? 'verified'
              : 'wrong_password'
            : 'unknown';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/verify`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    mode = 'answer';
    calls = 0;
  });

  function verifier(overrides: Partial<Parameters<typeof createLegacyVerifier>[0]> = {}) {
    return createLegacyVerifier({
      url,
      secret,
      timeoutMs: 300,
      failureThreshold: 3,
      cooldownMs: 60_000,
      ...overrides,
    });
  }

  it('asks the legacy platform, and stores argon2id when it says yes', async () => {
    const sign = service(verifier());
    expect(
      await sign.signInWithPassword({ identifier: 'no.password@example.org', password: 'wrong' }),
    ).toEqual({ ok: false, reason: 'invalid_credentials' });
    const ok = await sign.signInWithPassword({
      identifier: 'no.password@example.org',
      password: 'Legacy-Only-2020',
    });
    expect(ok).toMatchObject({ ok: true, amr: 'legacy_pwd', upgraded: true });
    expect(await credentialOf('L00010')).toMatchObject({ family: 'argon2id', origin: 'causeway' });
    // Next time the password is checked here, without the legacy platform.
    const before = calls;
    expect(
      await sign.signInWithPassword({ identifier: 'no.password@example.org', password: 'Legacy-Only-2020' }),
    ).toMatchObject({ ok: true, amr: 'pwd' });
    expect(calls).toBe(before);
  });

  it('refuses a forged answer: a wrong signature gets no verdict', async () => {
    const forged = createLegacyVerifier({
      url,
      secret: 'x'.repeat(40),
      timeoutMs: 300,
      failureThreshold: 3,
      cooldownMs: 60_000,
    });
    expect(
      await forged.verify({
        legacyId: 'L00010',
        identifier: 'no.password@example.org',
        password: 'Legacy-Only-2020',
      }),
    ).toBe('unavailable');
  });

  it('opens the circuit when the legacy platform hangs, and other patients sign in unaffected', async () => {
    mode = 'hang';
    let clock = 0;
    const legacy = verifier({ now: () => clock });
    const sign = service(legacy);
    for (let i = 0; i < 3; i++) {
      expect(
        await sign.signInWithPassword({
          identifier: 'no.password@example.org',
          password: 'Legacy-Only-2020',
        }),
      ).toEqual({ ok: false, reason: 'invalid_credentials' });
    }
    expect(legacy.state()).toBe('open');
    const callsWhenOpen = calls;
    await sign.signInWithPassword({ identifier: 'no.password@example.org', password: 'Legacy-Only-2020' });
    expect(calls).toBe(callsWhenOpen);
    expect(
      await sign.signInWithPassword({ identifier: 'james.okafor@example.org', password: PASSWORD }),
    ).toMatchObject({ ok: true });

    // After the cool-down one trial goes through; a good answer closes the circuit.
    mode = 'answer';
    clock += 60_000;
    expect(legacy.state()).toBe('half_open');
    expect(
      await sign.signInWithPassword({ identifier: 'no.password@example.org', password: 'Legacy-Only-2020' }),
    ).toMatchObject({ ok: true });
    expect(legacy.state()).toBe('closed');
  });

  it('counts server errors toward the breaker like timeouts', async () => {
    mode = 'error';
    const legacy = verifier();
    for (let i = 0; i < 3; i++) await legacy.verify({ legacyId: 'L00010', identifier: 'x', password: 'y' });
    expect(legacy.state()).toBe('open');
  });
});
