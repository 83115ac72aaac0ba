// `causeway cohorts` as an operator runs it: a child process, its output and its exit code.
// Each run starts Node and opens the database, a few seconds each on a busy machine: the tests that run
// several commands get a longer time limit than the default.
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cliHarness } from '../support/cli.ts';
import { queryRows } from '../../db/pg-array.ts';

const cli = cliHarness('causeway-cli-cohorts-');
const { causeway, openCliDatabase } = cli;

/** A refusal: exit code 1, nothing on stdout, exactly one line on stderr. */
async function refused(args: string[]) {
  const result = await causeway(args);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  return result.stderr.trimEnd();
}

describe('causeway cohorts', { timeout: 180_000 }, () => {
  it('explains itself with --help', async () => {
    const top = await causeway(['--help']);
    expect(top.stdout).toContain('cohorts');
    const help = await causeway(['cohorts', '--help']);
    expect(help.code).toBe(0);
    for (const sub of ['list', 'add', 'move']) expect(help.stdout).toContain(sub);
    const move = await causeway(['cohorts', 'move', '--help']);
    expect(move.code).toBe(0);
    expect(move.stdout).toContain('Usage: causeway cohorts move [options] <name>');
    expect(move.stdout).toContain('--to <phase>');
    expect(move.stdout).toContain('--final');
  });

  it('adds, lists and moves cohorts through a whole cutover, audited, and refuses what is not allowed', async () => {
    expect((await causeway(['db', 'migrate'])).code).toBe(0);
    const empty = await causeway(['cohorts']);
    expect(empty).toMatchObject({ code: 0, stderr: '' });
    expect(empty.stdout).toBe('No cohorts yet. Add one with "causeway cohorts add --name NAME".\n');

    const added = await causeway(['cohorts', 'add', '--name', 'Cohort A', '--cutover-date', '2026-05-01']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toBe('Added cohort Cohort A (pending, cutover 2026-05-01).\n');
    expect(await refused(['cohorts', 'add', '--name', 'Cohort A'])).toBe(
      'causeway: a cohort named "Cohort A" already exists',
    );
    expect(await refused(['cohorts', 'add', '--name', 'Cohort B', '--cutover-date', '01/05/2026'])).toBe(
      'causeway: --cutover-date 01/05/2026 is not a date written YYYY-MM-DD',
    );

    const listed = await causeway(['cohorts']);
    expect(listed.code).toBe(0);
    const [header, row] = listed.stdout.split('\n');
    expect(header).toMatch(/^COHORT\s+PHASE\s+CUTOVER\s+PATIENTS\s+IMPORTED\s+NOTIFIED\s+BRIDGED/);
    expect(row).toMatch(/^Cohort A\s+Pending\s+2026-05-01\s+0\s+0/);
    expect(listed.stdout).toContain('Cohort A: phase not changed yet; can move to pilot');
    expect((await causeway(['cohorts', 'list'])).stdout).toBe(listed.stdout);

    expect(await refused(['cohorts', 'move', 'Cohort A', '--to', 'cut_over'])).toBe(
      'causeway: Cohort A cannot go from Pending to Cut over. Nothing changed.',
    );
    expect(await refused(['cohorts', 'move', 'Cohort A', '--to', 'somewhere'])).toBe(
      'causeway: --to must be one of pending, pilot, migrating, cut_over, rolled_back (not "somewhere")',
    );
    expect(await refused(['cohorts', 'move', 'Cohort Z', '--to', 'pilot'])).toBe(
      'causeway: no cohort named "Cohort Z" (see "causeway cohorts")',
    );

    const pilot = await causeway(['cohorts', 'move', 'Cohort A', '--to', 'pilot']);
    expect(pilot).toMatchObject({ code: 0, stderr: '' });
    expect(pilot.stdout).toBe(
      "Moved Cohort A from Pending to Pilot; routing follows it from each patient's next click.\n",
    );
    expect((await causeway(['cohorts', 'move', 'Cohort A', '--to', 'migrating'])).code).toBe(0);
    expect((await causeway(['cohorts', 'move', 'Cohort A', '--to', 'rolled_back'])).code).toBe(0);
    expect((await causeway(['cohorts', 'move', 'Cohort A', '--to', 'migrating'])).code).toBe(0);
    const final = await causeway(['cohorts', 'move', 'Cohort A', '--to', 'cut_over', '--final']);
    expect(final).toMatchObject({ code: 0, stderr: '' });
    expect(final.stdout).toBe(
      'The cutover of Cohort A is final: it stays on the new platform and can no longer be rolled back.\n',
    );
    expect(await refused(['cohorts', 'move', 'Cohort A', '--to', 'rolled_back'])).toBe(
      'causeway: The cutover of Cohort A is final, so it can no longer be rolled back or moved. Nothing changed.',
    );
    const after = await causeway(['cohorts']);
    expect(after.stdout).toMatch(/Cohort A\s+Cut over \(final\)/);
    expect(after.stdout).toMatch(
      /Cohort A: phase changed \d{4}-\d\d-\d\d \d\d:\d\d UTC; final, no further moves/,
    );

    const db = await openCliDatabase();
    const events = await queryRows<{ action: string; actor_type: string; data: Record<string, unknown> }>(
      db.db,
      sql`select action, actor_type, data from audit_events where action like 'cohort.%' order by seq`,
    );
    await db.close();
    expect(events.map((e) => [e.action, e.actor_type, e.data.from, e.data.to, e.data.final])).toEqual([
      ['cohort.created', 'cli', undefined, undefined, undefined],
      ['cohort.phase_changed', 'cli', 'pending', 'pilot', false],
      ['cohort.phase_changed', 'cli', 'pilot', 'migrating', false],
      ['cohort.phase_changed', 'cli', 'migrating', 'rolled_back', false],
      ['cohort.phase_changed', 'cli', 'rolled_back', 'migrating', false],
      ['cohort.phase_changed', 'cli', 'migrating', 'cut_over', true],
    ]);
    const verified = await causeway(['audit', 'verify']);
    expect(verified.code).toBe(0);
  });

  it.each([
    [['cohorts', 'add'], "error: required option '--name <name>' not specified"],
    [['cohorts', 'move', 'Cohort A'], "error: required option '--to <phase>' not specified"],
    [['cohorts', 'move', '--to', 'pilot'], "error: missing required argument 'name'"],
  ])('refuses %j in one line', async (args, line) => {
    expect(await refused(args)).toBe(line);
  });
});
