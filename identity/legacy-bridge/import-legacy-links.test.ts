import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc, eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/pg-array.ts';
import { auditEvents, legacyLinks, patients } from '../../db/schema/index.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import {
  formatLegacyLinkImportSummary,
  importLegacyLinks,
  parseIsoDate,
  UnusableLegacyLinksFile,
} from './import-legacy-links.ts';
import { createLegacyLinks } from './legacy-links.ts';

const database = privateTestDatabase();
const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-legacy-links-'));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const h = (n: number) => sha256(`token-${n}`);

function file(name: string, text: string): string {
  const target = path.join(dir, name);
  writeFileSync(target, text);
  return target;
}

async function stored() {
  return database.db
    .select({
      tokenHash: legacyLinks.tokenHash,
      legacyId: legacyLinks.legacyId,
      expiresAt: legacyLinks.expiresAt,
      consumedAt: legacyLinks.consumedAt,
    })
    .from(legacyLinks)
    .orderBy(asc(legacyLinks.tokenHash));
}

// Line numbers count the header as line 1.
const hashed = [
  'token_sha256,legacy_id,expires_at',
  `${h(1)},L1,2027-03-31T23:59:59Z`, // 2
  `${h(2)},L404,`, // 3: no patient has L404 yet
  `${h(3).slice(0, 40)},L1,`, // 4
  `${h(4)},,2027-01-01`, // 5
  `${h(5)},L1,2027-02-30`, // 6
  `,L1,`, // 7
  `${h(6)},L1`, // 8
  `${h(1)},L1,2027-03-31T23:59:59Z`, // 9: the same token again
  `${h(7).toUpperCase()},L1,2027-04-01`, // 10
  `"${h(8)}","L1",2027-04-01T10:00:00+02:00`, // 11
  `bad"quote,L1,`, // 12
  '', // 13: empty
  `"${h(9)}",L1,"2027-05-01` + '\n' + `later"`, // 14-15: a quoted field across two lines
  `${h(10)},L1,2027-04-01 10:00`, // 16: no offset, taken as UTC
].join('\n');

const expectedSkips = [
  { line: 4, reason: 'bad_token_hash' },
  { line: 5, reason: 'missing_legacy_id' },
  { line: 6, reason: 'bad_expires_at' },
  { line: 7, reason: 'missing_token' },
  { line: 8, reason: 'wrong_column_count' },
  { line: 9, reason: 'duplicate_token' },
  { line: 12, reason: 'malformed_row' },
  { line: 14, reason: 'bad_expires_at' },
];

beforeEach(async () => {
  await database.db.execute(sql`delete from legacy_links`);
  await database.db.insert(patients).values({ legacyId: 'L1' });
});

describe('importLegacyLinks', () => {
  it('imports good rows, reports bad ones with line and reason, and counts unknown legacy ids', async () => {
    const progress: number[] = [];
    const summary = await importLegacyLinks({
      db: database.db,
      file: file('hashed.csv', hashed),
      onProgress: (p) => progress.push(p.rows),
    });
    expect(summary).toEqual({
      imported: 5,
      updated: 0,
      unchanged: 0,
      skipped: expectedSkips,
      unknownLegacyIds: 1,
    });
    expect(progress).toEqual([13]);
    expect(await stored()).toEqual(
      [
        { tokenHash: h(1), legacyId: 'L1', expiresAt: new Date('2027-03-31T23:59:59Z'), consumedAt: null },
        { tokenHash: h(7), legacyId: 'L1', expiresAt: new Date('2027-04-01T00:00:00Z'), consumedAt: null },
        { tokenHash: h(8), legacyId: 'L1', expiresAt: new Date('2027-04-01T08:00:00Z'), consumedAt: null },
        { tokenHash: h(10), legacyId: 'L1', expiresAt: new Date('2027-04-01T10:00:00Z'), consumedAt: null },
        { tokenHash: h(2), legacyId: 'L404', expiresAt: null, consumedAt: null },
      ].sort((a, b) => (a.tokenHash < b.tokenHash ? -1 : 1)),
    );
    const [audit] = await database.db.select().from(auditEvents);
    expect(audit).toMatchObject({
      action: 'import.legacy_links_completed',
      actorType: 'cli',
      data: { imported: 5, updated: 0, unchanged: 0, skipped: 8, unknownLegacyIds: 1 },
    });
  });

  it('is idempotent by hash, updates what changed, and never revives a used link', async () => {
    const first = file(
      'v1.csv',
      `token_sha256,legacy_id,expires_at\n${h(1)},L1,\n${h(2)},L1,2027-01-01\n${h(3)},L1,\n`,
    );
    await importLegacyLinks({ db: database.db, file: first });
    await database.db
      .update(legacyLinks)
      .set({ consumedAt: new Date('2026-05-01T00:00:00Z') })
      .where(eq(legacyLinks.tokenHash, h(1)));

    expect(await importLegacyLinks({ db: database.db, file: first })).toEqual({
      imported: 0,
      updated: 0,
      unchanged: 3,
      skipped: [],
      unknownLegacyIds: 0,
    });
    const second = file(
      'v2.csv',
      `legacy_id,token_sha256,note\nL2,${h(1)},moved\nL1,${h(2)},expiry dropped\nL1,${h(3)},same\nL1,${h(4)},new\n`,
    );
    expect(await importLegacyLinks({ db: database.db, file: second })).toEqual({
      imported: 1,
      updated: 2,
      unchanged: 1,
      skipped: [],
      unknownLegacyIds: 1,
    });
    const rows = new Map((await stored()).map((r) => [r.tokenHash, r]));
    expect(rows.get(h(1))).toEqual({
      tokenHash: h(1),
      legacyId: 'L2',
      expiresAt: null,
      consumedAt: new Date('2026-05-01T00:00:00Z'),
    });
    expect(rows.get(h(2))!.expiresAt).toBeNull();
    expect(rows.size).toBe(4);
  });

  it('writes nothing on a dry run, and predicts what a real run does', async () => {
    const csv = file('dry.csv', hashed);
    const dry = await importLegacyLinks({ db: database.db, file: csv, dryRun: true });
    expect(await stored()).toEqual([]);
    expect(await database.db.select().from(auditEvents)).toEqual([]);
    const real = await importLegacyLinks({ db: database.db, file: csv });
    expect(dry).toEqual(real);

    await database.db
      .update(legacyLinks)
      .set({ legacyId: 'L9' })
      .where(eq(legacyLinks.tokenHash, h(1)));
    expect(await importLegacyLinks({ db: database.db, file: csv, dryRun: true })).toEqual({
      imported: 0,
      updated: 1,
      unchanged: 4,
      skipped: expectedSkips,
      unknownLegacyIds: 1,
    });
    expect((await stored()).find((r) => r.tokenHash === h(1))!.legacyId).toBe('L9');
  });

  it('hashes plain tokens, stores only the hash, and the link then signs the patient in', async () => {
    const token = 'Zm9vYmFyLXBsYWluLXRva2VuLTAwMQ';
    const csv = file('plain.csv', `\uFEFFToken,Legacy_ID,Expires_At\n${token},L1,2027-01-01\n  ,L1,\n`);
    expect(await importLegacyLinks({ db: database.db, file: csv })).toEqual({
      imported: 1,
      updated: 0,
      unchanged: 0,
      skipped: [{ line: 3, reason: 'missing_token' }],
      unknownLegacyIds: 0,
    });
    const rows = await stored();
    expect(rows.map((r) => r.tokenHash)).toEqual([sha256(token)]);
    const everything = JSON.stringify(await queryRows(database.db, sql`select * from legacy_links`));
    expect(everything).not.toContain(token);

    const links = createLegacyLinks({
      db: database.db,
      links: { paths: ['/auth/magic'], tokenParam: 'token', jwt: null },
      parallelRunEndsAt: null,
      now: () => new Date('2026-06-01T00:00:00Z'),
    });
    expect(await links.redeem(token)).toMatchObject({ ok: true, legacyId: 'L1' });
  });

  it('works across many batches, with a token repeated in a later batch updating the earlier row', async () => {
    const lines = ['token_sha256,legacy_id'];
    for (let i = 1; i <= 25; i++) lines.push(`${h(i)},L${i % 2 === 0 ? 1 : 2}`);
    lines.push(`${h(1)},L1`);
    const progress: number[] = [];
    const summary = await importLegacyLinks({
      db: database.db,
      file: file('batches.csv', lines.join('\n')),
      batchSize: 4,
      onProgress: (p) => progress.push(p.rows),
    });
    expect(summary).toEqual({ imported: 25, updated: 1, unchanged: 0, skipped: [], unknownLegacyIds: 13 });
    expect(progress).toEqual([4, 8, 12, 16, 20, 24, 26]);
    expect((await stored()).find((r) => r.tokenHash === h(1))!.legacyId).toBe('L1');
  });

  it.each([
    ['empty.csv', '', 'the file is empty: it has no header row'],
    [
      'no-token.csv',
      'hash,legacy_id\nabc,L1\n',
      'the header row needs a token_sha256 (or token) column, a legacy_id column, and optionally expires_at',
    ],
    ['no-id.csv', `token_sha256,patient\n${h(1)},L1\n`, 'the header row has no legacy_id column'],
    [
      'both.csv',
      'token,token_sha256,legacy_id\n',
      'the header names both token and token_sha256: keep one of them (token_sha256 when you have the hashes)',
    ],
  ])('refuses %s as a whole, writing nothing', async (name, text, message) => {
    const run = importLegacyLinks({ db: database.db, file: file(name, text) });
    await expect(run).rejects.toThrow(UnusableLegacyLinksFile);
    await expect(run).rejects.toThrow(message);
    expect(await stored()).toEqual([]);
  });
});

describe('parseIsoDate', () => {
  it.each([
    ['2027-03-31', '2027-03-31T00:00:00.000Z'],
    ['2027-03-31T23:59:59Z', '2027-03-31T23:59:59.000Z'],
    ['2027-03-31T23:59:59.123456Z', '2027-03-31T23:59:59.123Z'],
    ['2027-03-31T23:59', '2027-03-31T23:59:00.000Z'],
    ['2027-03-31 08:00:00-05:00', '2027-03-31T13:00:00.000Z'],
    ['2027-03-31T08:00:00+0530', '2027-03-31T02:30:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseIsoDate(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '2027-02-29',
    '2027-04-31',
    '2027-13-01',
    '2027-03-31T24:00',
    '31/03/2027',
    'tomorrow',
    '2027-3-1',
  ])('refuses %s', (text) => {
    expect(parseIsoDate(text)).toBeNull();
  });
});

describe('formatLegacyLinkImportSummary', () => {
  it('says what happened in plain words', () => {
    const summary = {
      imported: 1200,
      updated: 3,
      unchanged: 0,
      skipped: [
        { line: 4, reason: 'bad_token_hash' as const },
        { line: 9, reason: 'duplicate_token' as const },
      ],
      unknownLegacyIds: 1,
    };
    expect(formatLegacyLinkImportSummary(summary, { dryRun: false, file: 'links.csv' })).toBe(
      [
        'Imported legacy links from links.csv: 1,200 links added, 3 updated, 0 unchanged, 2 rows skipped.',
        '1 link names a legacy id no patient has yet; it works once that patient is imported.',
        'Skipped rows:',
        '  line 4: token_sha256 is not 64 hexadecimal characters',
        '  line 9: the same token as an earlier row',
      ].join('\n'),
    );
    expect(formatLegacyLinkImportSummary(summary, { dryRun: true, file: 'links.csv' }).split('\n')[0]).toBe(
      'Dry run: nothing was written. Importing links.csv would add 1,200 links, update 3, leave 0 unchanged and skip 2 rows.',
    );
  });
});
