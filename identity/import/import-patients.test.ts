import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { asc, eq, sql } from 'drizzle-orm';
import { importRows, importRuns, patientCredentials, patients } from '../../db/schema/index.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { createFieldCipher } from '../encryption.ts';
import { importPatients, type ImportOptions } from './import-patients.ts';

const fixture = path.resolve(import.meta.dirname, '../../test/fixtures/legacy-export-sample.csv');
const cipher = createFieldCipher(randomBytes(32).toString('base64url'));
const database = privateTestDatabase();

function run(file: string, extra: Partial<ImportOptions> = {}) {
  return importPatients(
    { db: database.db, cipher },
    {
      file,
      format: 'csv',
      dryRun: false,
      defaultRegion: 'US',
      defaultTimeZone: 'America/New_York',
      startedBy: 'cli',
      ...extra,
    },
  );
}

async function logOf(runId: string) {
  const rows = await database.db
    .select()
    .from(importRows)
    .where(eq(importRows.runId, runId))
    .orderBy(asc(importRows.line));
  return rows.map((r) => [r.legacyId ?? `(line ${r.line})`, r.outcome, r.reasons[0] ?? null]);
}

// The sample export's README, row by row.
const expected = [
  ['L00001', 'imported', null],
  ['L00002', 'imported', null],
  ['L00003', 'imported', null],
  ['L00004', 'imported', null],
  ['L00005', 'imported', null],
  ['L00006', 'imported', null],
  ['L00007', 'imported', null],
  ['L00008', 'imported', null],
  ['L00009', 'imported', null],
  ['L00010', 'imported', null],
  ['L00011', 'flagged', 'duplicate_email'],
  ['L00012', 'skipped', 'invalid_email'],
  ['L00013', 'skipped', 'no_contact'],
  ['L00014', 'flagged', 'unknown_hash_format'],
  ['L00015', 'flagged', 'hash_params_out_of_bounds'],
  ['L00016', 'skipped', 'closed_account'],
  ['L00017', 'flagged', 'invalid_time_zone'],
  ['L00018', 'flagged', 'invalid_birth_date'],
  ['(line 20)', 'skipped', 'missing_legacy_id'],
  ['L00002', 'skipped', 'duplicate_legacy_id_in_file'],
];

describe('import patients', () => {
  it('imports the sample export exactly as its README says', async () => {
    const summary = await run(fixture);
    expect(await logOf(summary.runId!)).toEqual(expected);
    expect(summary.byOutcome).toEqual({ imported: 10, flagged: 5, skipped: 5 });
    expect(
      (await database.db.select({ line: importRows.line }).from(importRows))
        .map((r) => r.line)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));

    const byId = new Map((await database.db.select().from(patients)).map((p) => [p.legacyId, p]));
    expect(byId.size).toBe(15);
    expect(byId.get('L00001')).toMatchObject({
      phone: '+14155550101',
      locale: 'es',
      givenName: 'María',
      birthDate: '1984-02-29',
    });
    expect(byId.get('L00009')).toMatchObject({ phone: '+14155550109', email: null, locale: 'es' });
    // Both accounts sharing an address are kept and both carry the flag; neither is merged.
    expect(byId.get('L00001')?.flags).toEqual(['duplicate_email']);
    expect(byId.get('L00011')?.flags).toEqual(['duplicate_email']);
    expect(byId.get('L00017')?.timeZone).toBe('America/New_York');
    expect(byId.get('L00018')?.birthDate).toBeNull();

    const credentials = new Map(
      (
        await database.db
          .select({
            legacyId: patients.legacyId,
            family: patientCredentials.family,
            usable: patientCredentials.usable,
          })
          .from(patientCredentials)
          .innerJoin(patients, eq(patients.id, patientCredentials.patientId))
      ).map((c) => [c.legacyId, c]),
    );
    expect(credentials.get('L00001')).toEqual({ legacyId: 'L00001', family: 'bcrypt', usable: true });
    expect(credentials.get('L00002')?.family).toBe('django_pbkdf2_sha256');
    expect(credentials.get('L00003')?.family).toBe('phpass');
    expect(credentials.get('L00004')?.family).toBe('sha512_crypt');
    expect(credentials.get('L00005')?.family).toBe('ldap_ssha');
    expect(credentials.get('L00006')?.family).toBe('argon2id');
    expect(credentials.get('L00007')?.family).toBe('apr1');
    expect(credentials.get('L00008')?.family).toBe('aspnet_identity_v3');
    expect(credentials.get('L00009')?.family).toBe('django_bcrypt_sha256');
    expect(credentials.has('L00010')).toBe(false);
    expect(credentials.get('L00014')?.usable).toBe(false);
    expect(credentials.get('L00015')?.usable).toBe(false);

    const [log] = await database.db.select().from(importRows).where(eq(importRows.legacyId, 'L00001'));
    expect(log?.rawEnc).not.toContain('maria');
    expect(cipher.decrypt(log!.rawEnc)).toContain('maria.lopez@example.org');
    const [runRow] = await database.db.select().from(importRuns);
    expect(runRow).toMatchObject({
      status: 'done',
      rows: 20,
      format: 'csv',
      source: 'legacy-export-sample.csv',
    });
  });

  it('changes nothing when the same file is imported again', async () => {
    await run(fixture);
    const before = await database.db.select().from(patients).orderBy(asc(patients.legacyId));
    const second = await run(fixture);
    const log = await logOf(second.runId!);
    // Every row is unchanged or skipped again for the same reason; L00001 now also knows its duplicate.
    expect(log).toEqual(
      expected.map(([id, outcome, reason]) =>
        outcome === 'skipped'
          ? [id, outcome, reason]
          : [id, 'unchanged', id === 'L00001' ? 'duplicate_email' : outcome === 'flagged' ? reason : null],
      ),
    );
    const after = await database.db.select().from(patients).orderBy(asc(patients.legacyId));
    expect(after.map(({ importRunId: _r, ...p }) => p)).toEqual(before.map(({ importRunId: _r, ...p }) => p));
  });

  it('writes nothing on a dry run, and reports what a run would do', async () => {
    const summary = await run(fixture, { dryRun: true });
    expect(summary.runId).toBeNull();
    expect(summary.byOutcome).toEqual({ imported: 10, flagged: 5, skipped: 5 });
    const [counts] = await database.db
      .select({
        patients: sql<number>`(select count(*)::int from patients)`,
        runs: sql<number>`(select count(*)::int from import_runs)`,
        cohorts: sql<number>`(select count(*)::int from cohorts)`,
      })
      .from(sql`(select 1) as one`);
    expect(counts).toEqual({ patients: 0, runs: 0, cohorts: 0 });
  });

  it('logs malformed input with a reason and keeps going', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-import-'));
    const file = path.join(dir, 'dirty.csv');
    const header = 'legacy_id,email,phone,password_hash\n';
    const bad = Buffer.concat([
      Buffer.from(header),
      Buffer.from('X1,ok@example.org,,\n'),
      Buffer.from('X2,too,many,columns,here\n'),
      Buffer.from('X3,'),
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.from('@example.org,,\n'),
      Buffer.from(`X4,${'a'.repeat(70_000)}@example.org,,\n`),
      Buffer.from('X5,"unterminated@example.org,,\n'),
      Buffer.from('X6,last@example.org,,\n'),
    ]);
    writeFileSync(file, bad);
    const summary = await run(file);
    const log = await logOf(summary.runId!);
    expect(log.find(([id]) => id === 'X1')).toEqual(['X1', 'imported', null]);
    expect(log).toContainEqual(['X3', 'skipped', 'invalid_utf8']);
    expect(log.some(([, outcome, reason]) => outcome === 'skipped' && reason === 'wrong_column_count')).toBe(
      true,
    );
    expect(log.some(([, outcome, reason]) => outcome === 'skipped' && reason === 'field_too_long')).toBe(
      true,
    );
    expect(summary.byOutcome.imported).toBeGreaterThanOrEqual(1);
    expect((await database.db.select().from(importRuns))[0]?.status).toBe('done');
  });

  it('never undoes the choices a signed-in patient made here on a re-import, but records a legacy opt-out', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-import-'));
    const file = path.join(dir, 'prefs.csv');
    const header = 'legacy_id,email,phone,locale,email_opt_in,sms_opt_in,given_name\n';
    writeFileSync(
      file,
      `${header}P1,p1@example.org,+14155550111,en,true,true,Ana\nP2,p2@example.org,,en,true,false,Bo\n`,
    );
    await run(file);
    // P1 signed in here, chose Spanish and turned texts off; P2 never signed in here.
    await database.db
      .update(patients)
      .set({ bridgedAt: new Date(), state: 'bridged', locale: 'es', smsOptIn: false })
      .where(eq(patients.legacyId, 'P1'));
    // The next export: P1 renamed and opted out of email on the legacy platform; P2's choices changed.
    writeFileSync(
      file,
      `${header}P1,p1@example.org,+14155550111,en,false,true,Ana María\nP2,p2@example.org,,es,false,false,Bo\n`,
    );
    await run(file);
    const rows = await database.db.select().from(patients).orderBy(asc(patients.legacyId));
    const view = rows.map((r) => [r.legacyId, r.givenName, r.locale, r.emailOptIn, r.smsOptIn]);
    expect(view).toEqual([
      ['P1', 'Ana María', 'es', false, false],
      ['P2', 'Bo', 'es', false, false],
    ]);
  });

  it('reads JSON Lines, and logs a line that is not JSON', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-import-'));
    const file = path.join(dir, 'export.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({
          legacy_id: 'J1',
          email: 'j1@example.org',
          password_hash: '{SSHA}Ng7tdqi47TpT/gCsMfNDgoDI+OhU6n1P',
          cohort: 'pilot',
        }),
        '{not json',
        JSON.stringify({ legacy_id: 'J2', phone: '(212) 555-0142', locale: 'es-MX' }),
        '',
      ].join('\n'),
    );
    const summary = await run(file, { format: 'jsonl' });
    expect(await logOf(summary.runId!)).toEqual([
      ['J1', 'imported', null],
      ['(line 2)', 'skipped', 'malformed_row'],
      ['J2', 'imported', null],
    ]);
    const j2 = (await database.db.select().from(patients).where(eq(patients.legacyId, 'J2')))[0];
    expect(j2).toMatchObject({ phone: '+12125550142', locale: 'es' });
  });

  it('reads an Auth0 bulk-import file with custom_password_hash objects', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-import-'));
    const file = path.join(dir, 'users.json');
    const users = [
      {
        user_id: 'auth0|a1',
        email: 'a1@example.org',
        email_verified: true,
        given_name: 'Ana',
        custom_password_hash: {
          algorithm: 'bcrypt',
          hash: { value: '$2y$10$6dRB.UcA3yD2sQy4vEV4FeNVPJM4qyaCMnYR7437Wt9wxWgpT4MGq' },
        },
        app_metadata: { cohort: 'wave-1', locale: 'es' },
      },
      { user_id: 'auth0|a2', email: 'a2@example.org', blocked: true },
    ];
    writeFileSync(file, JSON.stringify(users, null, 2));
    const summary = await run(file, { format: 'auth0' });
    expect(await logOf(summary.runId!)).toEqual([
      ['auth0|a1', 'imported', null],
      ['auth0|a2', 'skipped', 'closed_account'],
    ]);
    const [credential] = await database.db.select().from(patientCredentials);
    expect(credential?.family).toBe('auth0_custom');
  });
});
