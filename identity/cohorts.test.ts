// Cohort phases against a real database: which moves are allowed, finality, the conditional write
// under concurrent moves, and the audit rows each change leaves.
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../db/audit.ts';
import { auditEvents, cohorts, patients, type CohortPhase, type PatientState } from '../db/schema/index.ts';
import { privateTestDatabase } from '../test/support/db.ts';
import {
  allowedMoves,
  cohortPhases,
  createCohort,
  listCohorts,
  moveCohort,
  previewMove,
  setCutoverDate,
} from './cohorts.ts';

const database = privateTestDatabase();
const admin = { type: 'staff' as const, id: randomUUID() };
const at = new Date('2026-03-01T15:30:00.000Z');

async function cohortAt(phase: CohortPhase, options: { final?: boolean; name?: string } = {}) {
  const created = await createCohort(database.db, { name: options.name ?? `Cohort ${phase}` }, admin);
  if (!created.ok) throw new Error(created.reason);
  const [row] = await database.db
    .update(cohorts)
    .set({ phase, finalAt: options.final ? new Date('2026-01-01T00:00:00Z') : null })
    .where(eq(cohorts.id, created.cohort.id))
    .returning();
  return row!;
}

async function addPatients(cohortId: string, states: Partial<Record<PatientState, number>>) {
  const rows = Object.entries(states).flatMap(([state, n]) =>
    Array.from({ length: n }, () => ({
      legacyId: `L-${randomUUID()}`,
      cohortId,
      state: state as PatientState,
    })),
  );
  for (let i = 0; i < rows.length; i += 500)
    await database.db.insert(patients).values(rows.slice(i, i + 500));
}

async function phaseEvents() {
  return database.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.action, 'cohort.phase_changed'))
    .orderBy(asc(auditEvents.seq));
}

// The rule as the issue states it, written out independently of the service.
const allowed: Record<CohortPhase, CohortPhase[]> = {
  pending: ['pilot'],
  pilot: ['migrating', 'rolled_back'],
  migrating: ['cut_over', 'rolled_back'],
  cut_over: ['rolled_back'],
  rolled_back: ['pilot', 'migrating'],
};
const pairs = cohortPhases.flatMap((from) => cohortPhases.map((to) => [from, to] as const));

describe('moving a cohort', () => {
  it.each(pairs)('from %s to %s', async (from, to) => {
    const cohort = await cohortAt(from);
    const result = await moveCohort(database.db, { cohortId: cohort.id, to, actor: admin, now: at });
    const [after] = await database.db.select().from(cohorts).where(eq(cohorts.id, cohort.id));
    if (allowed[from].includes(to)) {
      expect(result).toMatchObject({ ok: true, cohort: { id: cohort.id, phase: to, finalAt: null } });
      expect(after).toMatchObject({ phase: to, phaseChangedAt: at, finalAt: null });
      expect(await phaseEvents()).toHaveLength(1);
    } else {
      expect(result).toEqual({
        ok: false,
        reason: from === to ? 'same_phase' : 'not_allowed',
        cohort: expect.objectContaining({ id: cohort.id, phase: from }) as unknown,
      });
      expect(after).toMatchObject({ phase: from, phaseChangedAt: null });
      expect(await phaseEvents()).toHaveLength(0);
    }
  });

  it('says not_found for a cohort that does not exist, and for an id that is not one', async () => {
    for (const cohortId of [randomUUID(), 'not-a-uuid'])
      expect(await moveCohort(database.db, { cohortId, to: 'pilot', actor: admin })).toEqual({
        ok: false,
        reason: 'not_found',
      });
  });

  it('audits each move with from, to, final and who made it, in the hash chain', async () => {
    const cohort = await cohortAt('pending', { name: 'Cohort A' });
    await moveCohort(database.db, { cohortId: cohort.id, to: 'pilot', actor: admin, now: at });
    await moveCohort(database.db, { cohortId: cohort.id, to: 'migrating', actor: { type: 'cli' } });
    const events = await phaseEvents();
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      actorType: 'staff',
      actorId: admin.id,
      subjectType: 'cohort',
      subjectId: cohort.id,
      data: { name: 'Cohort A', from: 'pending', to: 'pilot', final: false },
    });
    expect(events[1]).toMatchObject({
      actorType: 'cli',
      actorId: null,
      data: { from: 'pilot', to: 'migrating', final: false },
    });
    // A refused move leaves no phase_changed row.
    await moveCohort(database.db, { cohortId: cohort.id, to: 'pending', actor: admin });
    expect(await phaseEvents()).toHaveLength(2);
    expect((await verifyAuditChain(database.db)).ok).toBe(true);
  });
});

describe('a final cutover', () => {
  it('can be declared with the move to cut_over, or once at cut_over', async () => {
    const direct = await cohortAt('migrating', { name: 'direct' });
    expect(
      await moveCohort(database.db, {
        cohortId: direct.id,
        to: 'cut_over',
        final: true,
        actor: admin,
        now: at,
      }),
    ).toMatchObject({ ok: true, cohort: { phase: 'cut_over', finalAt: at, phaseChangedAt: at } });

    const later = await cohortAt('cut_over', { name: 'later' });
    expect(
      await moveCohort(database.db, {
        cohortId: later.id,
        to: 'cut_over',
        final: true,
        actor: admin,
        now: at,
      }),
    ).toMatchObject({ ok: true, cohort: { phase: 'cut_over', finalAt: at } });
    expect((await phaseEvents()).map((e) => e.data)).toEqual([
      { name: 'direct', from: 'migrating', to: 'cut_over', final: true },
      { name: 'later', from: 'cut_over', to: 'cut_over', final: true },
    ]);
  });

  it('is refused with any other phase', async () => {
    for (const [from, to] of [
      ['pending', 'pilot'],
      ['pilot', 'migrating'],
      ['migrating', 'rolled_back'],
      ['cut_over', 'rolled_back'],
    ] as const) {
      const cohort = await cohortAt(from, { name: `${from}-${to}` });
      expect(
        await moveCohort(database.db, { cohortId: cohort.id, to, final: true, actor: admin }),
      ).toMatchObject({ ok: false, reason: 'not_allowed', cohort: { phase: from, finalAt: null } });
    }
    expect(await phaseEvents()).toHaveLength(0);
  });

  it('blocks rollback for good, and every other move', async () => {
    const cohort = await cohortAt('cut_over', { final: true });
    expect(
      await moveCohort(database.db, { cohortId: cohort.id, to: 'rolled_back', actor: admin }),
    ).toMatchObject({
      ok: false,
      reason: 'final',
      cohort: { phase: 'cut_over' },
    });
    for (const to of ['pending', 'pilot', 'migrating'] as const)
      expect(await moveCohort(database.db, { cohortId: cohort.id, to, actor: admin })).toMatchObject({
        ok: false,
        reason: 'final',
      });
    expect(
      await moveCohort(database.db, { cohortId: cohort.id, to: 'cut_over', final: true, actor: admin }),
    ).toMatchObject({ ok: false, reason: 'same_phase' });
    expect(allowedMoves(cohort)).toEqual([]);
    expect(await phaseEvents()).toHaveLength(0);
  });

  it('is offered only once the cohort is cut over, beside the rollback', async () => {
    expect(allowedMoves({ phase: 'migrating', finalAt: null })).toEqual([
      { to: 'cut_over', final: false },
      { to: 'rolled_back', final: false },
    ]);
    expect(allowedMoves({ phase: 'cut_over', finalAt: null })).toEqual([
      { to: 'cut_over', final: true },
      { to: 'rolled_back', final: false },
    ]);
  });
});

describe('two people moving one cohort at once', () => {
  it('lets exactly one move win; the others get the cohort as it is now', async () => {
    const cohort = await cohortAt('migrating');
    const results = await Promise.all([
      moveCohort(database.db, { cohortId: cohort.id, to: 'cut_over', actor: admin }),
      moveCohort(database.db, { cohortId: cohort.id, to: 'cut_over', actor: { type: 'cli' } }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toMatchObject({
      ok: false,
      reason: 'same_phase',
      cohort: { phase: 'cut_over' },
    });
    expect(await phaseEvents()).toHaveLength(1);
  });

  it('with different choices, one wins and the rest are told the phase changed under them', async () => {
    const cohort = await cohortAt('migrating');
    // Each person confirms a move from the phase they saw (as the page sends it): without it, someone
    // who read the state after the first move had committed would rightly make a second move.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        moveCohort(database.db, {
          cohortId: cohort.id,
          from: 'migrating',
          to: i % 2 ? 'rolled_back' : 'cut_over',
          actor: { type: 'staff', id: `admin-${i}` },
        }),
      ),
    );
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    const [after] = await database.db.select().from(cohorts).where(eq(cohorts.id, cohort.id));
    expect(after!.phase).toBe(winners[0]!.cohort!.phase);
    for (const loser of results.filter((r) => !r.ok)) {
      expect(['same_phase', 'phase_changed']).toContain(loser.reason);
      expect(loser.cohort).toMatchObject({ phase: after!.phase });
    }
    const events = await phaseEvents();
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ from: 'migrating', to: after!.phase });
  });

  it('refuses a confirmed move when the phase the person saw has changed since', async () => {
    const cohort = await cohortAt('cut_over');
    expect(
      await moveCohort(database.db, {
        cohortId: cohort.id,
        from: 'migrating',
        to: 'rolled_back',
        actor: admin,
      }),
    ).toMatchObject({ ok: false, reason: 'phase_changed', cohort: { phase: 'cut_over' } });
    expect(await phaseEvents()).toHaveLength(0);
  });
});

describe('cohorts as staff see them', () => {
  it('creates a cohort as pending, audited, and refuses a taken name or bad input', async () => {
    const created = await createCohort(
      database.db,
      {
        name: '  Wave 3 ',
        description: 'Pacific',
        cutoverDate: '2026-04-15',
        defaultTimeZone: 'America/Los_Angeles',
      },
      admin,
    );
    expect(created).toMatchObject({
      ok: true,
      cohort: {
        name: 'Wave 3',
        description: 'Pacific',
        phase: 'pending',
        cutoverDate: '2026-04-15',
        defaultTimeZone: 'America/Los_Angeles',
        finalAt: null,
      },
    });
    const [event] = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'cohort.created'));
    expect(event).toMatchObject({ actorId: admin.id, subjectId: created.ok ? created.cohort.id : '' });

    expect(await createCohort(database.db, { name: 'Wave 3' }, admin)).toEqual({
      ok: false,
      reason: 'name_taken',
    });
    expect(await createCohort(database.db, { name: '   ' }, admin)).toEqual({
      ok: false,
      reason: 'invalid_name',
    });
    expect(await createCohort(database.db, { name: 'a\nb' }, admin)).toEqual({
      ok: false,
      reason: 'invalid_name',
    });
    expect(await createCohort(database.db, { name: 'X', cutoverDate: '2026-02-30' }, admin)).toEqual({
      ok: false,
      reason: 'invalid_date',
    });
    expect(await createCohort(database.db, { name: 'X', defaultTimeZone: 'Mars/Olympus' }, admin)).toEqual({
      ok: false,
      reason: 'invalid_time_zone',
    });
  });

  it('lists cohorts with patient counts per state', async () => {
    const a = await cohortAt('pilot', { name: 'A' });
    await cohortAt('pending', { name: 'B' });
    await addPatients(a.id, { imported: 3, notified: 2, bridged: 1, active: 4, locked: 1, closed: 1 });
    const list = await listCohorts(database.db);
    expect(list.map((c) => c.name)).toEqual(['A', 'B']);
    expect(list[0]!.patients).toEqual({
      total: 12,
      imported: 3,
      notified: 2,
      bridged: 1,
      active: 4,
      locked: 1,
      closed: 1,
    });
    expect(list[1]!.patients.total).toBe(0);
  });

  it('previews a rollback in plain words with the number of patients, changing nothing', async () => {
    const cohort = await cohortAt('migrating', { name: 'Cohort A' });
    await addPatients(cohort.id, { imported: 1_000, bridged: 204 });
    const preview = await previewMove(database.db, {
      cohortId: cohort.id,
      from: 'migrating',
      to: 'rolled_back',
    });
    expect(preview).toMatchObject({ ok: true, patients: 1_204, label: 'Roll back' });
    expect(preview.ok && preview.description).toBe(
      'Roll back Cohort A: its 1,204 patients will be sent to the legacy platform again from their next click. Browsers keep nothing cached.',
    );
    expect(await previewMove(database.db, { cohortId: cohort.id, to: 'pending' })).toMatchObject({
      ok: false,
      reason: 'not_allowed',
    });
    const [after] = await database.db.select().from(cohorts).where(eq(cohorts.id, cohort.id));
    expect(after!.phase).toBe('migrating');
  });

  it('sets and clears the cutover date, audited only when it changes', async () => {
    const cohort = await cohortAt('pending');
    expect(
      await setCutoverDate(database.db, { cohortId: cohort.id, cutoverDate: '2026-05-01', actor: admin }),
    ).toMatchObject({ ok: true, cohort: { cutoverDate: '2026-05-01' } });
    await setCutoverDate(database.db, { cohortId: cohort.id, cutoverDate: '2026-05-01', actor: admin });
    expect(
      await setCutoverDate(database.db, { cohortId: cohort.id, cutoverDate: null, actor: admin }),
    ).toMatchObject({
      ok: true,
      cohort: { cutoverDate: null },
    });
    expect(
      await setCutoverDate(database.db, { cohortId: cohort.id, cutoverDate: '2026-13-01', actor: admin }),
    ).toEqual({ ok: false, reason: 'invalid_date' });
    expect(
      await setCutoverDate(database.db, { cohortId: randomUUID(), cutoverDate: '2026-05-01', actor: admin }),
    ).toEqual({ ok: false, reason: 'not_found' });
    const events = await database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'cohort.cutover_date_set'))
      .orderBy(asc(auditEvents.seq));
    expect(events.map((e) => e.data)).toEqual([
      { name: 'Cohort pending', from: null, to: '2026-05-01' },
      { name: 'Cohort pending', from: '2026-05-01', to: null },
    ]);
  });
});
