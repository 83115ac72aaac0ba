import { createHash, pbkdf2Sync } from 'node:crypto';
import { verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { cohorts, patientCredentials, patients, staff, waves } from '../../db/schema/index.ts';
import { verifyAuditChain } from '../../db/audit.ts';
import { verifyHash } from '../credentials/index.ts';
import { closeOffThreadPool } from '../credentials/offthread.ts';
import { createFieldCipher } from '../encryption.ts';
import { createStaffService } from '../staff/staff-service.ts';
import { openTestDatabase, type TestDatabase } from '../../test/support/db.ts';
import { testConfig } from '../../test/support/app.ts';
import { buildHashPool, DEMO_PASSWORD } from './legacy-hashes.ts';
import { createPatientSignIn } from '../patient-sign-in.ts';
import { DEMO_ADMIN_EMAIL, seedDemo } from './seed-demo.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
  await closeOffThreadPool();
});

describe('legacy hash encodings made for the demo', () => {
  it('verify with the demo password in the format each platform writes', async () => {
    const pool = await buildHashPool(DEMO_PASSWORD, 1);
    expect(pool.bcrypt[0]).toMatch(/^\$2y\$10\$[./A-Za-z0-9]{53}$/);
    expect(await bcrypt.compare(DEMO_PASSWORD, pool.bcrypt[0]!.replace('$2y$', '$2b$'))).toBe(true);

    expect(pool.argon2id[0]).toMatch(/^\$argon2id\$v=19\$m=65536,t=4,p=1\$/);
    expect(await argon2Verify(pool.argon2id[0]!, DEMO_PASSWORD)).toBe(true);

    const [, iterations, salt, digest] = pool.django_pbkdf2_sha256[0]!.split('$');
    expect(pbkdf2Sync(DEMO_PASSWORD, salt!, Number(iterations), 32, 'sha256').toString('base64')).toBe(
      digest,
    );

    const ssha = Buffer.from(pool.ldap_ssha[0]!.slice('{SSHA}'.length), 'base64');
    expect(createHash('sha1').update(DEMO_PASSWORD).update(ssha.subarray(20)).digest()).toEqual(
      ssha.subarray(0, 20),
    );

    const aspnet = Buffer.from(pool.aspnet_identity_v3[0]!, 'base64');
    expect(aspnet[0]).toBe(0x01);
    expect(aspnet.readUInt32BE(1)).toBe(1); // HMAC-SHA256
    const rounds = aspnet.readUInt32BE(5);
    const saltLength = aspnet.readUInt32BE(9);
    const aspSalt = aspnet.subarray(13, 13 + saltLength);
    expect(pbkdf2Sync(DEMO_PASSWORD, aspSalt, rounds, 32, 'sha256')).toEqual(
      aspnet.subarray(13 + saltLength),
    );
  });
});

describe('seedDemo', () => {
  it('seeds three cohorts, the patients with a mix of legacy formats, and an enrolled admin, once', async () => {
    const staffService = createStaffService({
      db: database.db,
      cipher: createFieldCipher(testConfig().secrets.DATA_ENCRYPTION_KEY),
      settings: testConfig().staff,
      issuer: 'test',
    });
    const result = await seedDemo({ db: database.db, staff: staffService, patientCount: 60 });
    if (result.status !== 'seeded') throw new Error('expected a fresh seed');
    expect(
      (await database.db.select({ name: cohorts.name }).from(cohorts).orderBy(cohorts.name)).map(
        (c) => c.name,
      ),
    ).toEqual(['pilot', 'wave-1', 'wave-2']);
    const [counted] = await database.db.select({ n: sql<number>`count(*)::int` }).from(patients);
    expect(counted?.n).toBe(60);
    const families = await database.db
      .selectDistinct({ family: patientCredentials.family })
      .from(patientCredentials);
    expect(families.length).toBeGreaterThanOrEqual(6);
    const withoutPassword = result.byFamily.none ?? 0;
    const [credentials] = await database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(patientCredentials);
    expect(credentials?.n).toBe(60 - withoutPassword);
    // Every seeded legacy password verifies through the family the detector chose.
    const seeded = await database.db
      .select()
      .from(patientCredentials)
      .where(eq(patientCredentials.usable, true));
    for (const family of new Set(seeded.map((c) => c.family))) {
      const sample = seeded.find((c) => c.family === family)!;
      expect(await verifyHash(family, sample.encoded, DEMO_PASSWORD), family).toBe(true);
    }
    const duplicates = await database.db
      .select({ legacyId: patients.legacyId })
      .from(patients)
      .where(sql`'duplicate_email' = any(${patients.flags})`);
    expect(duplicates).toHaveLength(2);

    // Draft waves for wave-1, waiting for someone to approve them.
    const drafts = await database.db.select().from(waves).orderBy(waves.offsetDays);
    expect(drafts.map((w) => [w.stage, w.state, w.offsetDays])).toEqual([
      ['announcement', 'draft', -14],
      ['day_before', 'draft', -1],
      ['nudge', 'draft', 3],
    ]);

    const [admin] = await database.db.select().from(staff).where(eq(staff.email, DEMO_ADMIN_EMAIL));
    expect(admin?.role).toBe('admin');
    expect(admin?.totpEnrolledAt).not.toBeNull();
    expect(admin?.passwordIsTemporary).toBe(true);
    expect(await argon2Verify(admin!.passwordHash, result.admin.temporaryPassword)).toBe(true);

    expect(await seedDemo({ db: database.db, staff: staffService })).toEqual({ status: 'already_seeded' });

    const [after] = await database.db.select({ n: sql<number>`count(*)::int` }).from(patients);
    expect(after?.n).toBe(60);
    expect(await verifyAuditChain(database.db)).toEqual({ ok: true, checked: 2 });

    // The patients the console suggests sign in with the demo password, each through its own family.
    expect(result.samplePatients).toHaveLength(3);
    expect(new Set(result.samplePatients.map((p) => p.family)).size).toBe(3);
    const signIn = createPatientSignIn({ db: database.db, defaultRegion: 'US' });
    for (const sample of result.samplePatients)
      expect(
        await signIn.signInWithPassword({ identifier: sample.email, password: DEMO_PASSWORD }),
        sample.email,
      ).toMatchObject({ ok: true });
  });
});
