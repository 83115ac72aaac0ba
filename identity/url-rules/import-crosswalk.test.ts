import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc, desc } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, idCrosswalk } from '../../db/schema/index.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { formatCrosswalkImportSummary, importCrosswalk, UnusableCrosswalkFile } from './import-crosswalk.ts';

const database = privateTestDatabase();
const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-crosswalk-'));

function file(name: string, lines: string[]): string {
  const target = path.join(dir, name);
  writeFileSync(target, `${lines.join('\n')}\n`);
  return target;
}

async function stored() {
  return database.db
    .select({ kind: idCrosswalk.kind, legacyId: idCrosswalk.legacyId, newId: idCrosswalk.newId })
    .from(idCrosswalk)
    .orderBy(asc(idCrosswalk.kind), asc(idCrosswalk.legacyId));
}

const mixed = [
  'kind,legacy_id,new_id', // 1
  'appointment,A-1,visit-1', // 2
  'appointment,A-2,visit-2', // 3
  'message,A-1,msg-1', // 4: same legacy id, another kind
  ',A-3,visit-3', // 5: no kind, no --kind
  'Appointment,A-4,visit-4', // 6: upper case
  'appointment,,visit-5', // 7
  'appointment,A-6,', // 8
  'appointment,A-1,visit-1-again', // 9: repeated within the batch
  'appointment,A-7', // 10
];

describe('importCrosswalk', () => {
  it('imports good rows in batches, reports bad ones by line, and audits', async () => {
    const summary = await importCrosswalk({ db: database.db, file: file('mixed.csv', mixed), batchSize: 3 });
    expect(summary).toEqual({
      imported: 3,
      // Line 9 falls in a later batch than line 2: it updates it, as a re-import would.
      updated: 1,
      unchanged: 0,
      skipped: [
        { line: 5, reason: 'missing_kind' },
        { line: 6, reason: 'bad_kind' },
        { line: 7, reason: 'missing_legacy_id' },
        { line: 8, reason: 'missing_new_id' },
        { line: 10, reason: 'wrong_column_count' },
      ],
      byKind: { appointment: 3, message: 1 },
    });
    expect(await stored()).toEqual([
      { kind: 'appointment', legacyId: 'A-1', newId: 'visit-1-again' },
      { kind: 'appointment', legacyId: 'A-2', newId: 'visit-2' },
      { kind: 'message', legacyId: 'A-1', newId: 'msg-1' },
    ]);
    const [audit] = await database.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(audit).toMatchObject({
      action: 'import.crosswalk_completed',
      actorType: 'cli',
      data: { imported: 3, updated: 1, unchanged: 0, skipped: 5, byKind: { appointment: 3, message: 1 } },
    });
  });

  it('skips a legacy id repeated within one batch', async () => {
    const summary = await importCrosswalk({
      db: database.db,
      file: file('repeat.csv', ['kind,legacy_id,new_id', 'appointment,A-1,v1', 'appointment,A-1,v2']),
    });
    expect(summary.skipped).toEqual([{ line: 3, reason: 'duplicate_legacy_id' }]);
    expect(await stored()).toEqual([{ kind: 'appointment', legacyId: 'A-1', newId: 'v1' }]);
  });

  it('takes the kind from --kind when the file has none, and is idempotent', async () => {
    const plain = file('plain.csv', ['legacy_id,new_id', 'A-1,visit-1', 'A-2,visit-2']);
    expect(await importCrosswalk({ db: database.db, file: plain, kind: 'appointment' })).toMatchObject({
      imported: 2,
      updated: 0,
      unchanged: 0,
    });
    const again = await importCrosswalk({ db: database.db, file: plain, kind: 'appointment' });
    expect(again).toMatchObject({ imported: 0, updated: 0, unchanged: 2, skipped: [] });
    const changed = file('changed.csv', ['legacy_id,new_id', 'A-1,visit-1', 'A-2,visit-22', 'A-3,visit-3']);
    const third = await importCrosswalk({ db: database.db, file: changed, kind: 'appointment' });
    expect(third).toMatchObject({ imported: 1, updated: 1, unchanged: 1 });
    expect(formatCrosswalkImportSummary(third, { dryRun: false, file: 'changed.csv' })).toBe(
      [
        'Imported the crosswalk from changed.csv: 1 id added, 1 updated, 1 unchanged, 0 rows skipped.',
        'By kind: appointment 3.',
      ].join('\n'),
    );
  });

  it('fills an empty kind cell from --kind', async () => {
    const summary = await importCrosswalk({
      db: database.db,
      file: file('partial.csv', ['kind,legacy_id,new_id', ',A-1,v1', 'message,A-1,m1']),
      kind: 'appointment',
    });
    expect(summary.byKind).toEqual({ appointment: 1, message: 1 });
  });

  it('writes nothing in a dry run, with the figures of a real one', async () => {
    await importCrosswalk({
      db: database.db,
      file: file('one.csv', ['kind,legacy_id,new_id', 'appointment,A-1,v1']),
    });
    const summary = await importCrosswalk({
      db: database.db,
      file: file('dry.csv', [
        'kind,legacy_id,new_id',
        'appointment,A-1,v1',
        'appointment,A-2,v2',
        'appointment,A-3,',
      ]),
      dryRun: true,
    });
    expect(summary).toMatchObject({ imported: 1, updated: 0, unchanged: 1 });
    expect(formatCrosswalkImportSummary(summary, { dryRun: true, file: 'dry.csv' })).toBe(
      [
        'Dry run: nothing was written. Importing dry.csv would add 1 id, update 0, leave 1 unchanged and skip 1 row.',
        'By kind: appointment 2.',
        'Skipped rows:',
        '  line 4: no new_id',
      ].join('\n'),
    );
    expect(await stored()).toEqual([{ kind: 'appointment', legacyId: 'A-1', newId: 'v1' }]);
  });

  it('refuses a file it cannot use', async () => {
    await expect(
      importCrosswalk({ db: database.db, file: file('nokind.csv', ['legacy_id,new_id', 'A,B']) }),
    ).rejects.toEqual(
      new UnusableCrosswalkFile(
        'the file has no kind column: give one with --kind (e.g. --kind appointment)',
      ),
    );
    await expect(
      importCrosswalk({ db: database.db, file: file('cols.csv', ['old,new', 'A,B']), kind: 'x' }),
    ).rejects.toThrow('the header row needs legacy_id and new_id columns');
    await expect(
      importCrosswalk({ db: database.db, file: file('x.csv', ['legacy_id,new_id']), kind: 'Bad Kind' }),
    ).rejects.toThrow('--kind Bad Kind is not a kind such as appointment');
    expect(await stored()).toEqual([]);
  });
});
