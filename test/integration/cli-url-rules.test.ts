// `causeway import url-rules` and `causeway import crosswalk` as an operator runs them: a child
// process, its output and its exit code. Each run starts Node and opens the database, a few seconds
// each on a busy machine: the tests that run several commands get a longer time limit.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliHarness } from '../support/cli.ts';
import { queryRows } from '../../db/pg-array.ts';
import { createUrlRouter } from '../../identity/url-rules/router.ts';

const cli = cliHarness('causeway-cli-url-rules-');
const { causeway, openCliDatabase } = cli;

function csv(name: string, lines: string[]): string {
  const file = path.join(cli.dataDir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('causeway import url-rules and crosswalk', () => {
  it('explains both with --help', async () => {
    const top = await causeway(['import', '--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('url-rules');
    expect(top.stdout).toContain('crosswalk');
    const rules = await causeway(['import', 'url-rules', '--help']);
    expect(rules.code).toBe(0);
    expect(rules.stdout).toContain('Usage: causeway import url-rules [options] <file>');
    expect(rules.stdout).toContain('--dry-run');
    expect(rules.stdout).toContain('--replace');
    const crosswalk = await causeway(['import', 'crosswalk', '--help']);
    expect(crosswalk.code).toBe(0);
    expect(crosswalk.stdout).toContain('Usage: causeway import crosswalk [options] <file>');
    expect(crosswalk.stdout).toContain('--kind <kind>');
  });

  it('refuses a file with a bad row in one line, writing nothing, then imports the fixed file', async () => {
    expect((await causeway(['db', 'migrate'])).code).toBe(0);
    const bad = csv('rules-bad.csv', [
      'source,target,when,status',
      '/billing,{new}/billing,after_cutover,',
      '/billing,{legacy}/billing,before_cutover,',
      '/go,https://evil.example/,,',
    ]);
    const refused = await causeway(['import', 'url-rules', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe(
      [
        `${bad} has 1 row that is not a valid rule (of 3); nothing was written.`,
        '  line 4: target must start with {new}, {legacy} or {self}: rules only send patients to the new platform, the legacy platform or this portal (got "https://evil.example/")',
        '',
      ].join('\n'),
    );
    expect(refused.stderr).toBe(`causeway: 1 row of ${bad} is not valid; nothing was written\n`);
    let db = await openCliDatabase();
    expect(await queryRows(db.db, sql`select * from url_rules`)).toEqual([]);
    await db.close();

    const good = csv('rules.csv', [
      'source,target,when,status',
      '/billing,{new}/billing,after_cutover,',
      '/billing,{legacy}/billing,before_cutover,',
      '/appointments/:id,{new}/visits/{crosswalk:appointment:id},,',
      '/*,{legacy}{rest},,',
    ]);
    const dry = await causeway(['import', 'url-rules', good, '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      [
        `Dry run: nothing was written. Importing ${good} would add 4 rules, update 0, leave 0 unchanged.`,
        '  added             4  (lines 2-5)',
        '',
      ].join('\n'),
    );
    const real = await causeway(['import', 'url-rules', good]);
    expect(real.stderr).toBe('');
    expect(real.code).toBe(0);
    expect(real.stdout.split('\n')[0]).toBe(
      `Imported URL rules from ${good}: 4 rules added, 0 updated, 0 unchanged.`,
    );
    const again = await causeway(['import', 'url-rules', good]);
    expect(again.stdout.split('\n').slice(0, 2)).toEqual([
      `Imported URL rules from ${good}: 0 rules added, 0 updated, 4 unchanged.`,
      '  unchanged         4  (lines 2-5)',
    ]);

    const crosswalk = csv('appointments.csv', ['legacy_id,new_id', 'A-100,visit-9', 'A-101,']);
    const imported = await causeway(['import', 'crosswalk', crosswalk, '--kind', 'appointment']);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe(
      [
        `Imported the crosswalk from ${crosswalk}: 1 id added, 0 updated, 0 unchanged, 1 row skipped.`,
        'By kind: appointment 1.',
        'Skipped rows:',
        '  line 3: no new_id',
        '',
      ].join('\n'),
    );

    // What the portal then answers, from what the commands wrote.
    db = await openCliDatabase();
    const router = createUrlRouter({
      db: db.db,
      config: {
        publicUrl: 'https://portal.example.org',
        platforms: { newUrl: 'https://app.newplatform.example', legacyUrl: 'https://legacy.example.org' },
      },
    });
    try {
      const patient = { cohortPhase: 'cut_over' as const, cohortFinal: false };
      expect(
        await router.route({ path: '/appointments/A-100', search: '', method: 'GET', patient, hops: 0 }),
      ).toMatchObject({
        kind: 'redirect',
        location: 'https://app.newplatform.example/visits/visit-9?cw_hop=1',
      });
      expect(
        await router.route({ path: '/billing', search: '?x=1', method: 'GET', patient, hops: 0 }),
      ).toMatchObject({
        location: 'https://app.newplatform.example/billing?x=1&cw_hop=1',
      });
      const [audit] = await queryRows<{ action: string }>(
        db.db,
        sql`select action from audit_events order by seq desc limit 1`,
      );
      expect(audit).toEqual({ action: 'import.crosswalk_completed' });
    } finally {
      await router.close();
      await db.close();
    }
  }, 180_000);

  it.each([
    [['import', 'url-rules'], "error: missing required argument 'file'"],
    [['import', 'url-rules', 'nope.csv'], 'causeway: no such file: nope.csv'],
    [['import', 'url-rules', 'rules.csv', '--force'], "error: unknown option '--force'"],
    [['import', 'crosswalk', 'nope.csv', '--kind', 'appointment'], 'causeway: no such file: nope.csv'],
  ])('refuses %j in one line', async (args, line) => {
    const result = await causeway(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe(`${line}\n`);
  });

  it('refuses files whose header it cannot use, in one line', async () => {
    expect((await causeway(['db', 'migrate'])).code).toBe(0);
    const rules = csv('wrong-rules.csv', ['from,to', '/a,{new}/a']);
    const result = await causeway(['import', 'url-rules', rules]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `causeway: cannot import ${rules}: the header row needs a source and a target column, and optionally when, status, note and position\n`,
    );
    const crosswalk = csv('wrong-crosswalk.csv', ['legacy_id,new_id', 'A,B']);
    const noKind = await causeway(['import', 'crosswalk', crosswalk]);
    expect(noKind.code).toBe(1);
    expect(noKind.stderr).toBe(
      `causeway: cannot import ${crosswalk}: the file has no kind column: give one with --kind (e.g. --kind appointment)\n`,
    );
  }, 120_000);
});
