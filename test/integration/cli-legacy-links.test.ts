// `causeway import legacy-links` as an operator runs it: a child process, its output and its exit code.
// Each run starts Node and opens the database, a few seconds each on a busy machine: the tests that run
// several commands get a longer time limit than the default.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliHarness } from '../support/cli.ts';
import { queryRows } from '../../db/pg-array.ts';

const cli = cliHarness('causeway-cli-links-');
const { causeway, openCliDatabase } = cli;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function csv(name: string, text: string): string {
  const file = path.join(cli.dataDir, name);
  writeFileSync(file, text);
  return file;
}

describe('causeway import legacy-links', () => {
  it('explains itself with --help', async () => {
    const top = await causeway(['import', '--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('legacy-links');
    const help = await causeway(['import', 'legacy-links', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: causeway import legacy-links [options] <file>');
    expect(help.stdout).toContain('--dry-run');
    expect(help.stdout).toContain('token_sha256');
  });

  it('imports with a dry run first, reports bad rows by line, and is idempotent', async () => {
    expect((await causeway(['db', 'migrate'])).code).toBe(0);
    const token = 'plain-legacy-token-0001';
    const plain = csv(
      'links.csv',
      [
        'token,legacy_id,expires_at',
        `${token},L00001,2027-03-31T23:59:59Z`,
        'plain-legacy-token-0002,L00002,',
        'plain-legacy-token-0003,,2027-01-01',
        'plain-legacy-token-0004,L00004,next week',
        '',
      ].join('\n'),
    );

    const dry = await causeway(['import', 'legacy-links', plain, '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      [
        `Dry run: nothing was written. Importing ${plain} would add 2 links, update 0, leave 0 unchanged and skip 2 rows.`,
        '2 links name a legacy id no patient has yet; they work once that patient is imported.',
        'Skipped rows:',
        '  line 4: no legacy_id',
        '  line 5: expires_at is not a date such as 2027-03-31 or 2027-03-31T23:59:59Z',
        '',
      ].join('\n'),
    );
    let db = await openCliDatabase();
    expect(await queryRows(db.db, sql`select * from legacy_links`)).toEqual([]);
    await db.close();

    const real = await causeway(['import', 'legacy-links', plain]);
    expect(real.stderr).toBe('');
    expect(real.code).toBe(0);
    expect(real.stdout.split('\n')[0]).toBe(
      `Imported legacy links from ${plain}: 2 links added, 0 updated, 0 unchanged, 2 rows skipped.`,
    );

    db = await openCliDatabase();
    const rows = await queryRows<{ token_hash: string; legacy_id: string }>(
      db.db,
      sql`select token_hash, legacy_id from legacy_links order by legacy_id`,
    );
    const [audit] = await queryRows<{ action: string; actor_type: string }>(
      db.db,
      sql`select action, actor_type from audit_events order by seq desc limit 1`,
    );
    await db.close();
    // Only hashes are kept: the plain token is nowhere in the table.
    expect(rows).toEqual([
      { token_hash: sha256(token), legacy_id: 'L00001' },
      { token_hash: sha256('plain-legacy-token-0002'), legacy_id: 'L00002' },
    ]);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(audit).toEqual({ action: 'import.legacy_links_completed', actor_type: 'cli' });

    const again = await causeway(['import', 'legacy-links', plain]);
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n')[0]).toBe(
      `Imported legacy links from ${plain}: 0 links added, 0 updated, 2 unchanged, 2 rows skipped.`,
    );
  }, 120_000);

  it.each([
    [['import', 'legacy-links'], "error: missing required argument 'file'"],
    [['import', 'legacy-links', 'nope.csv'], 'causeway: no such file: nope.csv'],
    [['import', 'legacy-links', 'links.csv', '--hashes'], "error: unknown option '--hashes'"],
  ])('refuses %j in one line', async (args, line) => {
    const result = await causeway(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toBe(`${line}\n`);
  });

  it('refuses a file whose header it cannot use, in one line, writing nothing', async () => {
    expect((await causeway(['db', 'migrate'])).code).toBe(0);
    const file = csv('wrong.csv', 'hash,user\nabc,L1\n');
    const result = await causeway(['import', 'legacy-links', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `causeway: cannot import ${file}: the header row needs a token_sha256 (or token) column, a legacy_id column, and optionally expires_at\n`,
    );
  }, 60_000);

  it('asks for migrations on an empty database', async () => {
    const emptyDir = mkdtempSync(path.join(os.tmpdir(), 'causeway-empty-'));
    const file = csv('one.csv', `token_sha256,legacy_id\n${sha256('x')},L1\n`);
    const result = await causeway(['import', 'legacy-links', file], { DATA_DIR: emptyDir, DATABASE_URL: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('causeway: the database has no tables yet: run "causeway db migrate" first\n');
  });
});
