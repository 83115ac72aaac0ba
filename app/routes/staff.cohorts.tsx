import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { z } from 'zod';
import {
  allowedMoves,
  cohortPhases,
  createCohort,
  describePhase,
  describeRefusal,
  listCohorts,
  moveCohort,
  moveLabel,
  patientStates,
  phaseLabels,
  previewMove,
  setCutoverDate,
} from '../../identity/cohorts.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { may, roles } from '../utils/staff-roles.ts';

export const meta: MetaFunction = () => [{ title: 'Cohorts' }];

// Built inside the action: the phase list lives in server-only code.
function cohortActionSchema() {
  const phase = z.enum(cohortPhases);
  const optionalText = z
    .string()
    .optional()
    .transform((v) => v?.trim() ?? '');
  return z.discriminatedUnion('intent', [
    z.object({
      intent: z.literal('move'),
      cohortId: z.string().uuid(),
      from: phase,
      to: phase,
      final: z.literal('yes').optional(),
      confirm: z.literal('yes').optional(),
    }),
    z.object({
      intent: z.literal('create'),
      name: z.string(),
      description: optionalText,
      cutoverDate: optionalText,
      defaultTimeZone: optionalText,
    }),
    z.object({
      intent: z.literal('set_cutover_date'),
      cohortId: z.string().uuid(),
      cutoverDate: optionalText,
    }),
  ]);
}

const stamp = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, roles.viewCohorts);
  const canManage = may(active.staff.role, roles.manageCohorts);
  const list = await listCohorts(args.context.services.database.db);
  return {
    canManage,
    cohorts: list.map((c) => ({
      id: c.id,
      name: c.name,
      description: c.description,
      phase: c.phase,
      phaseLabel: describePhase(c),
      cutoverDate: c.cutoverDate,
      finalAt: c.finalAt ? stamp(c.finalAt) : null,
      phaseChangedAt: c.phaseChangedAt ? stamp(c.phaseChangedAt) : null,
      total: c.patients.total,
      byState: patientStates
        .filter((state) => c.patients[state] > 0)
        .map((state) => ({ state, n: c.patients[state] })),
      moves: canManage
        ? allowedMoves(c).map((m) => ({ to: m.to, final: m.final, label: moveLabel(c.phase, m) }))
        : [],
    })),
  };
}

type Outcome = {
  kind: 'result';
  ok: boolean;
  message: string;
  /** What was typed into the add form, given back when it could not be used. */
  typed?: { name: string; description: string; cutoverDate: string; defaultTimeZone: string };
};

export async function action(args: ActionFunctionArgs) {
  // Anyone else is refused (403) and the attempt is audited by the guard.
  const active = await requireStaff(args, roles.manageCohorts);
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  const parsed = cohortActionSchema().safeParse(Object.fromEntries(form));
  if (!parsed.success)
    return data<Outcome>(
      { kind: 'result', ok: false, message: 'That change could not be read. Reload the page and try again.' },
      { status: 400 },
    );
  const { db } = args.context.services.database;
  const actor = { type: 'staff' as const, id: active.staff.id };
  const input = parsed.data;

  if (input.intent === 'create') {
    const result = await createCohort(db, input, actor);
    if (result.ok)
      return data<Outcome>({
        kind: 'result',
        ok: true,
        message: `Cohort ${result.cohort.name} was added. It starts as Pending.`,
      });
    const message = {
      invalid_name: `Give the cohort a name of one line, up to 80 characters.`,
      name_taken: `A cohort named ${input.name.trim()} already exists. Choose another name.`,
      invalid_date: 'Write the cutover date as YYYY-MM-DD, for example 2026-03-01.',
      invalid_time_zone: 'Use a time zone such as America/New_York or America/Los_Angeles.',
    }[result.reason];
    return data<Outcome>(
      {
        kind: 'result',
        ok: false,
        message,
        typed: {
          name: input.name,
          description: input.description,
          cutoverDate: input.cutoverDate,
          defaultTimeZone: input.defaultTimeZone,
        },
      },
      { status: result.reason === 'name_taken' ? 409 : 400 },
    );
  }

  if (input.intent === 'set_cutover_date') {
    const result = await setCutoverDate(db, {
      cohortId: input.cohortId,
      cutoverDate: input.cutoverDate || null,
      actor,
    });
    if (result.ok) {
      // Waves timed from the cutover date follow it: their unsent messages get new send times.
      const retimed = await args.context.services.waves.retimeCohort(result.cohort.id);
      const waves = retimed
        ? ` ${retimed.toLocaleString('en-US')} scheduled ${retimed === 1 ? 'message moves' : 'messages move'} with it.`
        : '';
      return data<Outcome>({
        kind: 'result',
        ok: true,
        message: result.cohort.cutoverDate
          ? `The cutover date of ${result.cohort.name} is now ${result.cohort.cutoverDate}.${waves}`
          : `${result.cohort.name} has no cutover date now.`,
      });
    }
    return data<Outcome>(
      {
        kind: 'result',
        ok: false,
        message:
          result.reason === 'invalid_date'
            ? 'Write the cutover date as YYYY-MM-DD, for example 2026-03-01.'
            : 'That cohort no longer exists.',
      },
      { status: result.reason === 'invalid_date' ? 400 : 404 },
    );
  }

  const move = { to: input.to, final: input.final === 'yes' };
  if (input.confirm !== 'yes') {
    // First step: nothing changes yet; the page says what will happen and asks again.
    const preview = await previewMove(db, { cohortId: input.cohortId, from: input.from, ...move });
    if (!preview.ok)
      return data<Outcome>(
        { kind: 'result', ok: false, message: describeRefusal(preview.reason, move, preview.cohort) },
        { status: preview.reason === 'not_found' ? 404 : 409 },
      );
    return data({
      kind: 'confirm' as const,
      cohortId: preview.cohort.id,
      name: preview.cohort.name,
      from: preview.cohort.phase,
      to: move.to,
      final: move.final,
      label: preview.label,
      description: preview.description,
    });
  }

  const result = await moveCohort(db, { cohortId: input.cohortId, from: input.from, ...move, actor });
  if (!result.ok)
    return data<Outcome>(
      { kind: 'result', ok: false, message: describeRefusal(result.reason, move, result.cohort) },
      { status: result.reason === 'not_found' ? 404 : 409 },
    );
  const { cohort } = result;
  return data<Outcome>({
    kind: 'result',
    ok: true,
    message: cohort.finalAt
      ? `The cutover of ${cohort.name} is final. This is recorded in the audit log.`
      : `${cohort.name} is now ${phaseLabels[cohort.phase]}. This is recorded in the audit log.`,
  });
}

export default function Cohorts() {
  const { cohorts, canManage } = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const confirm = answer?.kind === 'confirm' ? answer : null;
  const result = answer?.kind === 'result' ? answer : null;
  const typed = result?.typed;
  // With JavaScript the page does not reload: take keyboard and screen-reader focus to the question.
  const confirmHeading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (confirm) confirmHeading.current?.focus();
  }, [confirm]);
  return (
    <>
      <h1>Cohorts</h1>
      {result ? (
        <p role="status" className={result.ok ? 'success' : 'error'}>
          {result.message}
        </p>
      ) : null}
      {confirm ? (
        <section className="notice" aria-labelledby="confirm-heading">
          <h2 id="confirm-heading" ref={confirmHeading} tabIndex={-1}>
            Confirm: {confirm.label} for {confirm.name}
          </h2>
          <p role="status">{confirm.description}</p>
          <Form method="post">
            <CsrfInput />
            <input type="hidden" name="intent" value="move" />
            <input type="hidden" name="cohortId" value={confirm.cohortId} />
            <input type="hidden" name="from" value={confirm.from} />
            <input type="hidden" name="to" value={confirm.to} />
            {confirm.final ? <input type="hidden" name="final" value="yes" /> : null}
            <input type="hidden" name="confirm" value="yes" />
            <button type="submit">Yes, {confirm.label.toLowerCase()}</button>{' '}
            <Link to="/staff/cohorts">Cancel, change nothing</Link>
          </Form>
        </section>
      ) : null}
      {canManage ? null : (
        <p className="hint">Only an admin can add cohorts or change their phase or cutover date.</p>
      )}
      {cohorts.length === 0 ? (
        <p>No cohorts yet.{canManage ? ' Add one below, or import patients with a cohort column.' : ''}</p>
      ) : (
        <table>
          <caption className="visually-hidden">Cohorts with their phase and patients</caption>
          <thead>
            <tr>
              <th scope="col">Cohort</th>
              <th scope="col">Phase</th>
              <th scope="col">Cutover date</th>
              <th scope="col">Patients</th>
              <th scope="col">Phase last changed</th>
              {canManage ? <th scope="col">Change phase</th> : null}
            </tr>
          </thead>
          <tbody>
            {cohorts.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  {c.name}
                  {c.description ? <span className="hint"> — {c.description}</span> : null}
                </th>
                <td>
                  <span className="badge">
                    <span className="visually-hidden">Phase: </span>
                    {c.phaseLabel}
                  </span>
                  {c.finalAt ? <span className="hint"> since {c.finalAt}</span> : null}
                </td>
                <td>
                  {canManage ? (
                    <Form method="post" className="inline-form">
                      <CsrfInput />
                      <input type="hidden" name="intent" value="set_cutover_date" />
                      <input type="hidden" name="cohortId" value={c.id} />
                      <label htmlFor={`cutover-${c.id}`} className="visually-hidden">
                        Cutover date of {c.name}
                      </label>
                      <input
                        id={`cutover-${c.id}`}
                        type="date"
                        name="cutoverDate"
                        defaultValue={c.cutoverDate ?? ''}
                      />{' '}
                      <button type="submit" className="secondary">
                        Save date<span className="visually-hidden"> of {c.name}</span>
                      </button>
                    </Form>
                  ) : (
                    (c.cutoverDate ?? 'not set')
                  )}
                </td>
                <td>
                  <strong>{c.total.toLocaleString('en-US')}</strong>
                  {c.byState.length > 0 ? (
                    <span className="hint">
                      {' '}
                      ({c.byState.map((s) => `${s.n.toLocaleString('en-US')} ${s.state}`).join(', ')})
                    </span>
                  ) : null}
                </td>
                <td>{c.phaseChangedAt ?? 'not yet'}</td>
                {canManage ? (
                  <td>
                    {c.moves.length === 0
                      ? 'No further changes: the cutover is final.'
                      : c.moves.map((m) => (
                          <Form method="post" className="inline-form" key={`${m.to}-${m.final}`}>
                            <CsrfInput />
                            <input type="hidden" name="intent" value="move" />
                            <input type="hidden" name="cohortId" value={c.id} />
                            <input type="hidden" name="from" value={c.phase} />
                            <input type="hidden" name="to" value={m.to} />
                            {m.final ? <input type="hidden" name="final" value="yes" /> : null}
                            <button type="submit" className="secondary">
                              {m.label}
                              <span className="visually-hidden"> {c.name}</span>
                            </button>{' '}
                          </Form>
                        ))}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canManage ? (
        <section aria-labelledby="add-heading">
          <h2 id="add-heading">Add a cohort</h2>
          <p className="hint">
            A new cohort starts as Pending. Patients join it through the cohort column of the patient import.
          </p>
          <Form method="post" key={typed ? 'retry' : 'blank'}>
            <CsrfInput />
            <input type="hidden" name="intent" value="create" />
            <p>
              <label htmlFor="cohort-name">Name</label>
              <input
                id="cohort-name"
                type="text"
                name="name"
                required
                maxLength={80}
                autoComplete="off"
                defaultValue={typed?.name}
              />
            </p>
            <p>
              <label htmlFor="cohort-description">Description (optional)</label>
              <input
                id="cohort-description"
                type="text"
                name="description"
                autoComplete="off"
                defaultValue={typed?.description}
              />
            </p>
            <p>
              <label htmlFor="cohort-cutover">Cutover date (optional)</label>
              <input id="cohort-cutover" name="cutoverDate" type="date" defaultValue={typed?.cutoverDate} />
            </p>
            <p>
              <label htmlFor="cohort-zone">Time zone for patients whose record has none</label>
              <input
                id="cohort-zone"
                type="text"
                name="defaultTimeZone"
                defaultValue={typed?.defaultTimeZone || 'America/New_York'}
                autoComplete="off"
                aria-describedby="cohort-zone-hint"
              />
              <span id="cohort-zone-hint" className="hint">
                {' '}
                For example America/Chicago or America/Los_Angeles.
              </span>
            </p>
            <button type="submit">Add cohort</button>
          </Form>
        </section>
      ) : null}
    </>
  );
}
