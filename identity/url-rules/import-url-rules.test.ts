import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { asc, desc } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, urlRules } from '../../db/schema/index.ts';
import { privateTestDatabase } from '../../test/support/db.ts';
import { addRule } from './admin.ts';
import { formatUrlRuleImportReport, importUrlRules, UnusableUrlRulesFile } from './import-url-rules.ts';

const database = privateTestDatabase();
const dir = mkdtempSync(path.join(os.tmpdir(), 'causeway-url-rules-'));

function file(name: string, lines: string[]): string {
  const target = path.join(dir, name);
  writeFileSync(target, `${lines.join('\n')}\n`);
  return target;
}

async function stored() {
  return database.db
    .select({
      kind: urlRules.kind,
      source: urlRules.source,
      target: urlRules.target,
      when: urlRules.when,
      status: urlRules.status,
      position: urlRules.position,
      note: urlRules.note,
      createdBy: urlRules.createdBy,
    })
    .from(urlRules)
    .orderBy(asc(urlRules.source), asc(urlRules.when));
}

const good = [
  'source,target,when,status', // 1
  '/billing,{new}/billing,after_cutover,', // 2
  '/billing,{legacy}/billing,before_cutover,', // 3
  '/appointments/:id,{new}/visits/{crosswalk:appointment:id},after_cutover,', // 4
  '/messages/*,{legacy}/inbox{rest},,307', // 5
  '"/help-center/",{self}/help,always,301', // 6
  '/records/:kind/:id,{new}/records/{kind}/{id},,', // 7
];

describe('importUrlRules', () => {
  it('imports every row, pattern positions in file order, and audits', async () => {
    const summary = await importUrlRules({ db: database.db, file: file('good.csv', good) });
    expect(summary).toEqual({
      dryRun: false,
      replace: false,
      rows: 6,
      lines: { added: [2, 3, 4, 5, 6, 7], updated: [], unchanged: [] },
      removed: 0,
      invalid: [],
    });
    expect(await stored()).toEqual([
      {
        kind: 'pattern',
        source: '/appointments/:id',
        target: '{new}/visits/{crosswalk:appointment:id}',
        when: 'after_cutover',
        status: null,
        position: 4,
        note: '',
        createdBy: 'cli',
      },
      {
        kind: 'exact',
        source: '/billing',
        target: '{new}/billing',
        when: 'after_cutover',
        status: null,
        position: 0,
        note: '',
        createdBy: 'cli',
      },
      {
        kind: 'exact',
        source: '/billing',
        target: '{legacy}/billing',
        when: 'before_cutover',
        status: null,
        position: 0,
        note: '',
        createdBy: 'cli',
      },
      {
        kind: 'exact',
        source: '/help-center',
        target: '{self}/help',
        when: 'always',
        status: 301,
        position: 0,
        note: '',
        createdBy: 'cli',
      },
      {
        kind: 'prefix',
        source: '/messages/*',
        target: '{legacy}/inbox{rest}',
        when: 'always',
        status: 307,
        position: 0,
        note: '',
        createdBy: 'cli',
      },
      {
        kind: 'pattern',
        source: '/records/:kind/:id',
        target: '{new}/records/{kind}/{id}',
        when: 'always',
        status: null,
        position: 7,
        note: '',
        createdBy: 'cli',
      },
    ]);
    const [audit] = await database.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    expect(audit).toMatchObject({
      action: 'url_rules.imported',
      actorType: 'cli',
      data: { added: 6, updated: 0, unchanged: 0, removed: 0, replace: false },
    });
    expect(formatUrlRuleImportReport(summary, { file: 'good.csv' })).toBe(
      [
        'Imported URL rules from good.csv: 6 rules added, 0 updated, 0 unchanged.',
        '  added             6  (lines 2-7)',
        'A running portal picks the changes up when it next reloads its rules.',
      ].join('\n'),
    );
  });

  it('is idempotent by source and when, and reports what changed by line', async () => {
    await importUrlRules({ db: database.db, file: file('first.csv', good) });
    const changed = [...good];
    changed[4] = '/messages/*,{new}/inbox{rest},,'; // line 5 changed
    const summary = await importUrlRules({ db: database.db, file: file('second.csv', changed) });
    expect(summary.lines).toEqual({ added: [], updated: [5], unchanged: [2, 3, 4, 6, 7] });
    expect(formatUrlRuleImportReport(summary, { file: 'second.csv' }).split('\n')).toEqual([
      'Imported URL rules from second.csv: 0 rules added, 1 updated, 5 unchanged.',
      '  updated           1  (line 5)',
      '  unchanged         5  (lines 2-4, 6-7)',
      'A running portal picks the changes up when it next reloads its rules.',
    ]);
    // Run again: nothing changes.
    const again = await importUrlRules({ db: database.db, file: file('second.csv', changed) });
    expect(again.lines).toEqual({ added: [], updated: [], unchanged: [2, 3, 4, 5, 6, 7] });
    expect((await stored()).length).toBe(6);
  });

  it('writes nothing when one row is bad, and names every bad row with its line and reasons', async () => {
    await addRule(database.db, { source: '/kept', target: '{new}/kept' }, { type: 'system' });
    const bad = file('bad.csv', [
      'source,target,when,status', // 1
      '/ok,{new}/ok,,', // 2
      '/evil,https://evil.example/,,', // 3
      '/js,javascript:alert(1),,', // 4
      '/soon,{new}/soon,later,302', // 5
      '/perm,{new}/perm,after_cutover,308', // 6
      '/ok/,{legacy}/ok,always,', // 7: same source and when as line 2
      '/short,{new}/short', // 8
      '/x,{new}/x,,200', // 9
      '/q,"{new}/q', // 10-11: an unterminated quote
      '',
    ]);
    const summary = await importUrlRules({ db: database.db, file: bad });
    expect(summary.invalid).toEqual([
      {
        line: 3,
        problems: [
          'target must start with {new}, {legacy} or {self}: rules only send patients to the new platform, the legacy platform or this portal (got "https://evil.example/")',
        ],
      },
      { line: 4, problems: ['target cannot hold a javascript:, vbscript: or data: URL'] },
      { line: 5, problems: ['when must be always, before_cutover or after_cutover'] },
      {
        line: 6,
        problems: [
          "a permanent status (308) only fits a rule for always: browsers keep permanent redirects, so a cohort's rollback could not reach them",
        ],
      },
      { line: 7, problems: ['line 2 already has a rule for /ok (always)'] },
      { line: 8, problems: ['the row has 2 fields and the header 4'] },
      { line: 9, problems: ['status must be empty, 301, 302, 303, 307 or 308'] },
      { line: 11, problems: ['the row could not be read as CSV'] },
    ]);
    expect(summary.lines).toEqual({ added: [], updated: [], unchanged: [] });
    expect((await stored()).map((r) => r.source)).toEqual(['/kept']);
    expect(formatUrlRuleImportReport(summary, { file: 'bad.csv' }).split('\n').slice(0, 3)).toEqual([
      'bad.csv has 8 rows that are not valid rules (of 9); nothing was written.',
      '  line 3: target must start with {new}, {legacy} or {self}: rules only send patients to the new platform, the legacy platform or this portal (got "https://evil.example/")',
      '  line 4: target cannot hold a javascript:, vbscript: or data: URL',
    ]);
  });

  it('refuses absolute URL targets, whatever their host', async () => {
    const summary = await importUrlRules({
      db: database.db,
      file: file('absolute.csv', [
        'source,target',
        '/a,https://app.newplatform.example/a',
        '/b,//evil.example/b',
        '/c,{new}.evil.example/c',
        '/d,{new}@evil.example/d',
        '/e,{new}/\\evil.example',
      ]),
    });
    const startsWith = (line: number, text: string) => ({
      line,
      problems: [expect.stringMatching(new RegExp(`^${text.replace(/[{}()?/\\]/g, '\\$&')}`))],
    });
    expect(summary.invalid).toEqual([
      startsWith(2, 'target must start with {new}, {legacy} or {self}'),
      startsWith(3, 'target must start with {new}, {legacy} or {self}'),
      startsWith(4, 'after {new} the target must go on with /, ? or #'),
      startsWith(5, 'after {new} the target must go on with /, ? or #'),
      startsWith(6, 'target cannot hold a backslash'),
    ]);
    expect(await stored()).toEqual([]);
  });

  it('with replace, removes the rules the file no longer has', async () => {
    await importUrlRules({ db: database.db, file: file('all.csv', good) });
    await addRule(database.db, { source: '/by-staff', target: '{new}/x' }, { type: 'system' });
    const summary = await importUrlRules({
      db: database.db,
      file: file('fewer.csv', good.slice(0, 3)),
      replace: true,
    });
    expect(summary).toMatchObject({ removed: 5, lines: { added: [], updated: [], unchanged: [2, 3] } });
    expect((await stored()).map((r) => [r.source, r.when])).toEqual([
      ['/billing', 'after_cutover'],
      ['/billing', 'before_cutover'],
    ]);
  });

  it('reports exactly what a real run would do in a dry run, and writes nothing', async () => {
    await importUrlRules({ db: database.db, file: file('base.csv', good.slice(0, 4)) });
    const before = await stored();
    const auditsBefore = (await database.db.select().from(auditEvents)).length;
    const summary = await importUrlRules({
      db: database.db,
      file: file('dry.csv', [good[0]!, '/billing,{new}/billing-v2,after_cutover,', good[2]!, good[4]!]),
      dryRun: true,
      replace: true,
    });
    expect(summary).toMatchObject({
      dryRun: true,
      removed: 1,
      lines: { added: [4], updated: [2], unchanged: [3] },
    });
    expect(formatUrlRuleImportReport(summary, { file: 'dry.csv' }).split('\n')[0]).toBe(
      'Dry run: nothing was written. Importing dry.csv would add 1 rule, update 1, leave 1 unchanged and remove 1.',
    );
    expect(await stored()).toEqual(before);
    expect((await database.db.select().from(auditEvents)).length).toBe(auditsBefore);
  });

  it('refuses a file without the columns it needs', async () => {
    await expect(
      importUrlRules({ db: database.db, file: file('header.csv', ['from,to', '/a,{new}/a']) }),
    ).rejects.toEqual(
      new UnusableUrlRulesFile(
        'the header row needs a source and a target column, and optionally when, status, note and position',
      ),
    );
    await expect(importUrlRules({ db: database.db, file: file('empty.csv', []) })).rejects.toThrow(
      'the file is empty: it has no header row',
    );
  });
});
