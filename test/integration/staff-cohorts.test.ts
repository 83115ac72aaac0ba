// The cohorts page over HTTP as staff use it: admins move a cohort in two steps (choose, then confirm
// in plain words); everyone else reads the table, and the server refuses their moves.
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, cohorts, patients, type CohortPhase } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { signedInStaff } from '../support/staff.ts';

let app: TestApp;
let staffCount = 0;

beforeAll(async () => {
  app = await startTestApp();
});
beforeEach(async () => {
  await app.database.reset();
});
afterAll(async () => {
  await app?.close();
});

const signedIn = (role: 'admin' | 'support' | 'marketing' | 'clinical') =>
  signedInStaff(app, `${role}-${++staffCount}@clinic.example`, role);

async function cohortWithPatients(name: string, phase: CohortPhase, count: number) {
  const [cohort] = await app.database.db.insert(cohorts).values({ name, phase }).returning();
  if (count > 0)
    await app.database.db
      .insert(patients)
      .values(Array.from({ length: count }, (_, i) => ({ legacyId: `${name}-${i}`, cohortId: cohort!.id })));
  return cohort!;
}

async function phaseOf(id: string) {
  const [row] = await app.database.db.select().from(cohorts).where(eq(cohorts.id, id));
  return row!;
}

async function audited(action: string) {
  return app.database.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.action, action))
    .orderBy(asc(auditEvents.seq));
}

/** Visible text, tags and entities reduced, so assertions read like the page does. */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"');

describe('the cohorts page', () => {
  it('lets an admin roll a cohort back after a confirm step that says what will happen', async () => {
    const cohort = await cohortWithPatients('Cohort A', 'migrating', 3);
    const { browser, member } = await signedIn('admin');

    const page = await browser.get('/staff/cohorts');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('href="/staff/cohorts"');
    expect(text(html)).toContain('Phase: Migrating');
    expect(text(html)).toContain('3 (3 imported)');
    expect(text(html)).toContain('Cut over Cohort A');
    expect(text(html)).toContain('Roll back Cohort A');
    expect(html).toContain('<label for="cohort-name"');

    // First POST: nothing changes; the page asks again in plain words.
    const asked = await browser.submit('/staff/cohorts', {
      intent: 'move',
      cohortId: cohort.id,
      from: 'migrating',
      to: 'rolled_back',
    });
    expect(asked.status).toBe(200);
    const confirmHtml = await asked.text();
    expect(text(confirmHtml)).toContain(
      'Roll back Cohort A: its 3 patients will be sent to the legacy platform again from their next click. Browsers keep nothing cached.',
    );
    expect(confirmHtml).toContain('name="confirm" value="yes"');
    expect((await phaseOf(cohort.id)).phase).toBe('migrating');
    expect(await audited('cohort.phase_changed')).toHaveLength(0);

    // Second POST with confirm=yes: done, said, audited.
    const done = await browser.submit('/staff/cohorts', {
      intent: 'move',
      cohortId: cohort.id,
      from: 'migrating',
      to: 'rolled_back',
      confirm: 'yes',
    });
    expect(done.status).toBe(200);
    const doneText = text(await done.text());
    expect(doneText).toContain('Cohort A is now Rolled back.');
    expect(doneText).toContain('Phase: Rolled back');
    expect(doneText).toContain('Restart the pilot Cohort A');
    const after = await phaseOf(cohort.id);
    expect(after.phase).toBe('rolled_back');
    expect(after.phaseChangedAt).toBeInstanceOf(Date);
    const [event] = await audited('cohort.phase_changed');
    expect(event).toMatchObject({
      actorType: 'staff',
      actorId: member.staff.id,
      subjectType: 'cohort',
      subjectId: cohort.id,
      data: { name: 'Cohort A', from: 'migrating', to: 'rolled_back', final: false },
    });
  });

  it('makes a cutover final, after which no move is offered and a rollback is refused in plain words', async () => {
    const cohort = await cohortWithPatients('Cohort B', 'cut_over', 1);
    const { browser } = await signedIn('admin');
    const fields = { intent: 'move', cohortId: cohort.id, from: 'cut_over', to: 'cut_over', final: 'yes' };
    const asked = await browser.submit('/staff/cohorts', fields);
    expect(text(await asked.text())).toContain('After this, Cohort B can never be rolled back.');
    const done = await browser.submit('/staff/cohorts', { ...fields, confirm: 'yes' });
    const doneText = text(await done.text());
    expect(doneText).toContain('The cutover of Cohort B is final.');
    expect(doneText).toContain('Phase: Cut over (final)');
    expect(doneText).toContain('No further changes: the cutover is final.');
    expect((await phaseOf(cohort.id)).finalAt).toBeInstanceOf(Date);

    const refused = await browser.submit('/staff/cohorts', {
      intent: 'move',
      cohortId: cohort.id,
      from: 'cut_over',
      to: 'rolled_back',
      confirm: 'yes',
    });
    expect(refused.status).toBe(409);
    expect(text(await refused.text())).toContain(
      'The cutover of Cohort B is final, so it can no longer be rolled back or moved. Nothing changed.',
    );
    expect((await phaseOf(cohort.id)).phase).toBe('cut_over');
  });

  it('tells an admin when someone else moved the cohort between their choice and their confirm', async () => {
    const cohort = await cohortWithPatients('Cohort C', 'migrating', 0);
    const { browser: first } = await signedIn('admin');
    const { browser: second } = await signedIn('admin');
    const move = { intent: 'move', cohortId: cohort.id, from: 'migrating' };
    expect((await first.submit('/staff/cohorts', { ...move, to: 'rolled_back' })).status).toBe(200);
    expect((await second.submit('/staff/cohorts', { ...move, to: 'cut_over', confirm: 'yes' })).status).toBe(
      200,
    );
    const late = await first.submit('/staff/cohorts', { ...move, to: 'rolled_back', confirm: 'yes' });
    expect(late.status).toBe(409);
    expect(text(await late.text())).toContain(
      'Someone else changed Cohort C while you were deciding: it is now Cut over.',
    );
    expect((await phaseOf(cohort.id)).phase).toBe('cut_over');
    expect(await audited('cohort.phase_changed')).toHaveLength(1);
  });

  it('shows support and marketing the table read-only, and refuses their moves with 403, audited', async () => {
    const cohort = await cohortWithPatients('Cohort D', 'pilot', 2);
    for (const role of ['support', 'marketing'] as const) {
      const { browser, member } = await signedIn(role);
      const page = await browser.get('/staff/cohorts');
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(text(html)).toContain('Phase: Pilot');
      expect(text(html)).toContain('Only an admin can add cohorts or change their phase or cutover date.');
      expect(html).not.toContain('value="move"');
      expect(html).not.toContain('value="create"');
      expect(html).not.toContain('Change phase');

      const refused = await browser.submit('/staff/cohorts', {
        intent: 'move',
        cohortId: cohort.id,
        from: 'pilot',
        to: 'rolled_back',
        confirm: 'yes',
      });
      expect(refused.status).toBe(403);
      const denied = await app.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'staff.access_denied'), eq(auditEvents.actorId, member.staff.id)));
      expect(denied).toEqual([
        expect.objectContaining({ data: { path: '/staff/cohorts', role } }) as unknown,
      ]);
    }
    expect((await phaseOf(cohort.id)).phase).toBe('pilot');
    expect(await audited('cohort.phase_changed')).toHaveLength(0);

    const { browser: clinical } = await signedIn('clinical');
    expect((await clinical.get('/staff/cohorts')).status).toBe(403);
  });

  it('requires the CSRF token for every change', async () => {
    const cohort = await cohortWithPatients('Cohort E', 'pending', 0);
    const { browser } = await signedIn('admin');
    const move = { intent: 'move', cohortId: cohort.id, from: 'pending', to: 'pilot', confirm: 'yes' };
    expect((await browser.submit('/staff/cohorts', move, { csrf: null })).status).toBe(403);
    expect((await browser.submit('/staff/cohorts', move, { csrf: 'forged' })).status).toBe(403);
    expect(
      (await browser.submit('/staff/cohorts', { intent: 'create', name: 'Sneaky' }, { csrf: null })).status,
    ).toBe(403);
    expect((await phaseOf(cohort.id)).phase).toBe('pending');
    expect(await app.database.db.select().from(cohorts)).toHaveLength(1);
    expect(await audited('cohort.phase_changed')).toHaveLength(0);
  });

  it('lets an admin add a cohort and set its cutover date, with plain-word errors', async () => {
    const { browser } = await signedIn('admin');
    const added = await browser.submit('/staff/cohorts', {
      intent: 'create',
      name: 'Wave 3',
      description: 'Pacific and the islands',
      cutoverDate: '2026-06-01',
      defaultTimeZone: 'America/Los_Angeles',
    });
    expect(added.status).toBe(200);
    const addedText = text(await added.text());
    expect(addedText).toContain('Cohort Wave 3 was added. It starts as Pending.');
    expect(addedText).toContain('Phase: Pending');
    const [row] = await app.database.db.select().from(cohorts).where(eq(cohorts.name, 'Wave 3'));
    expect(row).toMatchObject({
      phase: 'pending',
      cutoverDate: '2026-06-01',
      defaultTimeZone: 'America/Los_Angeles',
    });
    expect(await audited('cohort.created')).toHaveLength(1);

    const taken = await browser.submit('/staff/cohorts', {
      intent: 'create',
      name: 'Wave 3',
      cutoverDate: '',
    });
    expect(taken.status).toBe(409);
    const takenHtml = await taken.text();
    expect(text(takenHtml)).toContain('A cohort named Wave 3 already exists. Choose another name.');
    expect(takenHtml).toMatch(/id="cohort-name"[^>]*value="Wave 3"/);

    const dated = await browser.submit('/staff/cohorts', {
      intent: 'set_cutover_date',
      cohortId: row!.id,
      cutoverDate: '2026-07-15',
    });
    expect(text(await dated.text())).toContain('The cutover date of Wave 3 is now 2026-07-15.');
    expect((await phaseOf(row!.id)).cutoverDate).toBe('2026-07-15');
    expect(await audited('cohort.cutover_date_set')).toHaveLength(1);
  });
});
