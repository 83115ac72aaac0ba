// Cohorts and their phases (DESIGN §1): who may move where, the conditional write that lets exactly one
// of two simultaneous moves win, and the plain words staff read before they confirm a move.
import { and, asc, count, eq, isNull } from 'drizzle-orm';
import { appendAudit } from '../db/audit.ts';
import type { Db, DbOrTx } from '../db/client.ts';
import {
  cohortPhase,
  cohorts,
  patients,
  patientState,
  type Cohort,
  type CohortPhase,
  type PatientState,
} from '../db/schema/index.ts';
import { isValidTimeZone } from './import/normalize-row.ts';

export const cohortPhases = cohortPhase.enumValues;
export const patientStates = patientState.enumValues;

/** How a phase reads on a page or in the terminal. */
export const phaseLabels: Record<CohortPhase, string> = {
  pending: 'Pending',
  pilot: 'Pilot',
  migrating: 'Migrating',
  cut_over: 'Cut over',
  rolled_back: 'Rolled back',
};

// Where each phase may go next. A final cutover (finalAt set) goes nowhere at all.
const transitions: Record<CohortPhase, readonly CohortPhase[]> = {
  pending: ['pilot'],
  pilot: ['migrating', 'rolled_back'],
  migrating: ['cut_over', 'rolled_back'],
  cut_over: ['rolled_back'],
  rolled_back: ['pilot', 'migrating'],
};

/** Who changed a cohort: a staff member through the console, or an operator at the `causeway` command. */
export interface CohortActor {
  type: 'staff' | 'cli';
  id?: string | null;
}

/** A move as a person chooses it: the phase to go to, and whether the cutover becomes final. */
export interface CohortMove {
  to: CohortPhase;
  final: boolean;
}

export type MoveRefusal = 'not_found' | 'same_phase' | 'not_allowed' | 'final' | 'phase_changed';

export type MoveCohortResult =
  | { ok: true; cohort: Cohort }
  | {
      ok: false;
      reason: MoveRefusal;
      /** The cohort as it stands now (absent only when it does not exist). */
      cohort?: Cohort;
    };

export type CreateCohortResult =
  | { ok: true; cohort: Cohort }
  | { ok: false; reason: 'invalid_name' | 'name_taken' | 'invalid_date' | 'invalid_time_zone' };

export type SetCutoverDateResult =
  { ok: true; cohort: Cohort } | { ok: false; reason: 'not_found' | 'invalid_date' };

export type PatientCounts = Record<PatientState, number> & { total: number };

export interface CohortOverview {
  id: string;
  name: string;
  description: string;
  phase: CohortPhase;
  cutoverDate: string | null;
  finalAt: Date | null;
  phaseChangedAt: Date | null;
  defaultTimeZone: string;
  createdAt: Date;
  patients: PatientCounts;
}

export const MAX_COHORT_NAME = 80;

/** A calendar date written YYYY-MM-DD that exists (no 2026-02-30). */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/**
 * Why a move is refused from the cohort's current state, or null when it is allowed. `final` is only
 * for a move to (or a cohort already at) cut_over; once final, nothing moves any more.
 */
export function checkMove(
  cohort: Pick<Cohort, 'phase' | 'finalAt'>,
  move: CohortMove,
): Exclude<MoveRefusal, 'not_found' | 'phase_changed'> | null {
  if (move.final && move.to !== 'cut_over') return 'not_allowed';
  if (cohort.finalAt) return move.to === 'cut_over' ? 'same_phase' : 'final';
  if (move.to === cohort.phase) return move.to === 'cut_over' && move.final ? null : 'same_phase';
  return transitions[cohort.phase].includes(move.to) ? null : 'not_allowed';
}

/**
 * The moves a person is offered for this cohort, in the order a cutover usually goes. Making a cutover
 * final is offered only once the cohort is cut over (the service also accepts it together with the
 * move to cut_over, for an operator who means it).
 */
export function allowedMoves(cohort: Pick<Cohort, 'phase' | 'finalAt'>): CohortMove[] {
  if (cohort.finalAt) return [];
  const moves: CohortMove[] = transitions[cohort.phase]
    .filter((to) => to !== 'rolled_back')
    .map((to) => ({ to, final: false }));
  if (cohort.phase === 'cut_over') moves.push({ to: 'cut_over', final: true });
  if (transitions[cohort.phase].includes('rolled_back')) moves.push({ to: 'rolled_back', final: false });
  return moves;
}

/** The phase with its finality, as a badge or a terminal line shows it. */
export function describePhase(cohort: Pick<Cohort, 'phase' | 'finalAt'>): string {
  return cohort.finalAt ? `${phaseLabels[cohort.phase]} (final)` : phaseLabels[cohort.phase];
}

/** The button a person presses for a move. */
export function moveLabel(from: CohortPhase, move: CohortMove): string {
  if (move.final) return from === 'cut_over' ? 'Make the cutover final' : 'Cut over, final';
  switch (move.to) {
    case 'pending':
      return 'Back to pending';
    case 'pilot':
      return from === 'rolled_back' ? 'Restart the pilot' : 'Start the pilot';
    case 'migrating':
      return from === 'rolled_back' ? 'Resume migrating' : 'Start migrating';
    case 'cut_over':
      return 'Cut over';
    case 'rolled_back':
      return 'Roll back';
  }
}

const patientCount = (n: number) => (n === 1 ? '1 patient' : `${n.toLocaleString('en-US')} patients`);

/** What happens if the move goes ahead, in plain words, for the confirm step. */
export function describeMove(
  cohort: { name: string; phase: CohortPhase },
  move: CohortMove,
  patients: number,
) {
  const count = patientCount(patients);
  const who = `its ${count}`;
  const name = cohort.name;
  const takesEffect =
    'Pages follow the new phase from each patient’s next click; messages and support rules pick it up as they next run.';
  if (move.final) {
    const cut =
      cohort.phase === 'cut_over'
        ? `Make the cutover of ${name} final: ${who} will stay on the new platform for good.`
        : `Cut over ${name} for good: ${who} will be sent to the new platform from their next click.`;
    return `${cut} Old links will redirect permanently, so browsers may remember them. After this, ${name} can never be rolled back.`;
  }
  switch (move.to) {
    case 'rolled_back':
      return `Roll back ${name}: ${who} will be sent to the legacy platform again from their next click. Browsers keep nothing cached.`;
    case 'cut_over':
      return `Cut over ${name}: ${who} will be sent to the new platform from their next click. You can still roll back until you make the cutover final.`;
    case 'pilot':
      return `${cohort.phase === 'rolled_back' ? 'Restart' : 'Start'} the pilot for ${name} (${count}). ${takesEffect} You can roll back at any time.`;
    case 'migrating':
      return `${cohort.phase === 'rolled_back' ? 'Resume migrating' : 'Start migrating'} ${name} (${count}). ${takesEffect} You can roll back at any time.`;
    case 'pending':
      return `Move ${name} back to pending (${count}). ${takesEffect}`;
  }
}

/** Why a move did not happen, in plain words (the page and the command say the same). */
export function describeRefusal(
  reason: MoveRefusal,
  move: CohortMove,
  cohort: Pick<Cohort, 'name' | 'phase' | 'finalAt'> | undefined,
): string {
  if (!cohort || reason === 'not_found') return 'That cohort no longer exists. Nothing changed.';
  const now = describePhase(cohort);
  switch (reason) {
    case 'same_phase':
      return `${cohort.name} is already ${now}. Nothing changed.`;
    case 'final':
      return `The cutover of ${cohort.name} is final, so it can no longer be rolled back or moved. Nothing changed.`;
    case 'not_allowed':
      return move.final && move.to !== 'cut_over'
        ? `Only a cutover can be made final. Nothing changed.`
        : `${cohort.name} cannot go from ${now} to ${phaseLabels[move.to]}. Nothing changed.`;
    case 'phase_changed':
      return `Someone else changed ${cohort.name} while you were deciding: it is now ${now}. Nothing else changed. Look again before you choose.`;
  }
}

export async function getCohort(db: DbOrTx, cohortId: string): Promise<Cohort | undefined> {
  if (!isUuid(cohortId)) return undefined;
  const [row] = await db.select().from(cohorts).where(eq(cohorts.id, cohortId)).limit(1);
  return row;
}

export async function findCohortByName(db: DbOrTx, name: string): Promise<Cohort | undefined> {
  const [row] = await db.select().from(cohorts).where(eq(cohorts.name, name.trim())).limit(1);
  return row;
}

export async function createCohort(
  db: Db,
  input: { name: string; description?: string; cutoverDate?: string | null; defaultTimeZone?: string },
  actor: CohortActor,
): Promise<CreateCohortResult> {
  const name = input.name.trim();
  // Names appear in the import file's cohort column and on the command line: one line of plain text.
  if (!name || name.length > MAX_COHORT_NAME || /[\p{Cc}]/u.test(name))
    return { ok: false, reason: 'invalid_name' };
  const cutoverDate = input.cutoverDate?.trim() || null;
  if (cutoverDate && !isCalendarDate(cutoverDate)) return { ok: false, reason: 'invalid_date' };
  const defaultTimeZone = input.defaultTimeZone?.trim() || undefined;
  if (defaultTimeZone && !isValidTimeZone(defaultTimeZone)) return { ok: false, reason: 'invalid_time_zone' };
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(cohorts)
      .values({
        name,
        description: input.description?.trim() ?? '',
        cutoverDate,
        ...(defaultTimeZone ? { defaultTimeZone } : {}),
      })
      .onConflictDoNothing({ target: cohorts.name })
      .returning();
    if (!created) return { ok: false, reason: 'name_taken' } as const;
    await appendAudit(tx, {
      action: 'cohort.created',
      actorType: actor.type,
      actorId: actor.id ?? null,
      subjectType: 'cohort',
      subjectId: created.id,
      data: { name, cutoverDate, phase: created.phase },
    });
    return { ok: true, cohort: created } as const;
  });
}

/** Every cohort with its phase and how many of its patients are in each state (counts only). */
export async function listCohorts(db: DbOrTx): Promise<CohortOverview[]> {
  const [rows, counts] = await Promise.all([
    db.select().from(cohorts).orderBy(asc(cohorts.name)),
    db
      .select({ cohortId: patients.cohortId, state: patients.state, n: count() })
      .from(patients)
      .groupBy(patients.cohortId, patients.state),
  ]);
  const byCohort = new Map<string, PatientCounts>();
  for (const row of counts) {
    if (!row.cohortId) continue;
    let tally = byCohort.get(row.cohortId);
    if (!tally) byCohort.set(row.cohortId, (tally = emptyCounts()));
    tally[row.state] += row.n;
    tally.total += row.n;
  }
  return rows.map((c) => ({
    id: c.id,
    name: c.name,
    description: c.description,
    phase: c.phase,
    cutoverDate: c.cutoverDate,
    finalAt: c.finalAt,
    phaseChangedAt: c.phaseChangedAt,
    defaultTimeZone: c.defaultTimeZone,
    createdAt: c.createdAt,
    patients: byCohort.get(c.id) ?? emptyCounts(),
  }));
}

function emptyCounts(): PatientCounts {
  const counts = { total: 0 } as PatientCounts;
  for (const state of patientStates) counts[state] = 0;
  return counts;
}

/**
 * Moves a cohort to another phase, audited, in one conditional write: the update only lands while the
 * cohort is still in the phase it was checked in, so of two people moving it at once exactly one wins
 * and the other is told what it is now. `from` is the phase the person saw when they confirmed: if it
 * has changed since, nothing moves.
 */
export async function moveCohort(
  db: Db,
  input: {
    cohortId: string;
    to: CohortPhase;
    final?: boolean;
    from?: CohortPhase;
    actor: CohortActor;
    now?: Date;
  },
): Promise<MoveCohortResult> {
  const move: CohortMove = { to: input.to, final: Boolean(input.final) };
  const current = await getCohort(db, input.cohortId);
  if (!current) return { ok: false, reason: 'not_found' };
  if (input.from && input.from !== current.phase) return refuse(current, move);
  const refusal = checkMove(current, move);
  if (refusal) return { ok: false, reason: refusal, cohort: current };

  const at = input.now ?? new Date();
  const moved = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(cohorts)
      .set({
        phase: move.to,
        finalAt: move.final ? at : null,
        phaseChangedAt: at,
        updatedAt: at,
      })
      .where(and(eq(cohorts.id, current.id), eq(cohorts.phase, current.phase), isNull(cohorts.finalAt)))
      .returning();
    if (!row) return undefined;
    await appendAudit(tx, {
      action: 'cohort.phase_changed',
      actorType: input.actor.type,
      actorId: input.actor.id ?? null,
      subjectType: 'cohort',
      subjectId: row.id,
      data: { name: row.name, from: current.phase, to: move.to, final: move.final },
    });
    return row;
  });
  if (moved) return { ok: true, cohort: moved };

  // Someone else moved it between the check and the write: report what it is now.
  const now = await getCohort(db, current.id);
  return now ? refuse(now, move) : { ok: false, reason: 'not_found' };
}

/** The answer for a move checked against a phase that is no longer current. */
function refuse(current: Cohort, move: CohortMove): Extract<MoveCohortResult, { ok: false }> {
  const reason = checkMove(current, move);
  // Already where they wanted it, or final: say so; otherwise their decision was about another state.
  if (reason === 'same_phase' || reason === 'final') return { ok: false, reason, cohort: current };
  return { ok: false, reason: 'phase_changed', cohort: current };
}

export type PreviewMoveResult =
  | { ok: true; cohort: Cohort; patients: number; label: string; description: string }
  | { ok: false; reason: MoveRefusal; cohort?: Cohort };

/**
 * The confirm step: whether the move is allowed now and what it will do, in plain words, with the
 * number of patients it touches. Changes nothing.
 */
export async function previewMove(
  db: DbOrTx,
  input: { cohortId: string; to: CohortPhase; final?: boolean; from?: CohortPhase },
): Promise<PreviewMoveResult> {
  const move: CohortMove = { to: input.to, final: Boolean(input.final) };
  const cohort = await getCohort(db, input.cohortId);
  if (!cohort) return { ok: false, reason: 'not_found' };
  if (input.from && input.from !== cohort.phase) return refuse(cohort, move);
  const refusal = checkMove(cohort, move);
  if (refusal) return { ok: false, reason: refusal, cohort };
  const [tally] = await db.select({ n: count() }).from(patients).where(eq(patients.cohortId, cohort.id));
  const n = tally?.n ?? 0;
  return {
    ok: true,
    cohort,
    patients: n,
    label: moveLabel(cohort.phase, move),
    description: describeMove(cohort, move, n),
  };
}

/** Sets (or with null clears) the planned cutover date, audited. */
export async function setCutoverDate(
  db: Db,
  input: { cohortId: string; cutoverDate: string | null; actor: CohortActor; now?: Date },
): Promise<SetCutoverDateResult> {
  const cutoverDate = input.cutoverDate?.trim() || null;
  if (cutoverDate && !isCalendarDate(cutoverDate)) return { ok: false, reason: 'invalid_date' };
  if (!isUuid(input.cohortId)) return { ok: false, reason: 'not_found' };
  const at = input.now ?? new Date();
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ cutoverDate: cohorts.cutoverDate })
      .from(cohorts)
      .where(eq(cohorts.id, input.cohortId))
      .for('update');
    if (!before) return { ok: false, reason: 'not_found' } as const;
    const [row] = await tx
      .update(cohorts)
      .set({ cutoverDate, updatedAt: at })
      .where(eq(cohorts.id, input.cohortId))
      .returning();
    if (before.cutoverDate !== cutoverDate)
      await appendAudit(tx, {
        action: 'cohort.cutover_date_set',
        actorType: input.actor.type,
        actorId: input.actor.id ?? null,
        subjectType: 'cohort',
        subjectId: input.cohortId,
        data: { name: row!.name, from: before.cutoverDate, to: cutoverDate },
      });
    return { ok: true, cohort: row! } as const;
  });
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** Each cohort with its phase, cutover date and number of patients: counts only, no one identified. */
export async function summarizeCohorts(db: Db) {
  return db
    .select({
      name: cohorts.name,
      phase: cohorts.phase,
      cutoverDate: cohorts.cutoverDate,
      patients: count(patients.id),
    })
    .from(cohorts)
    .leftJoin(patients, eq(patients.cohortId, cohorts.id))
    .groupBy(cohorts.id)
    .orderBy(asc(cohorts.name));
}
