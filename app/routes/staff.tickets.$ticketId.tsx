// One ticket: what it is about and its clocks, the thread (clinical text masked for roles that may not
// read it), reply and internal note, status, merge, assignment, the macros that act on the patient's
// sign-in and messages, and the patient's identity timeline. Every view is audited.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { Fragment } from 'react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { roles } from '../utils/staff-roles.ts';
import { deskFor, describeDeskRefusal, ticketPage } from '../utils/tickets-view.server.ts';

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: page ? `Ticket #${page.ticket.number}` : 'Ticket' },
];

const ticketActionForm = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('reply'), text: z.string(), wait: z.literal('yes').optional() }),
  z.object({ intent: z.literal('note'), text: z.string() }),
  z.object({ intent: z.literal('status'), status: z.enum(['open', 'solved', 'closed']) }),
  z.object({
    intent: z.literal('merge'),
    into: z
      .string()
      .trim()
      .regex(/^#?\d{1,9}$/)
      .transform((v) => Number(v.replace('#', ''))),
  }),
  z.object({ intent: z.literal('assign'), to: z.enum(['me', 'nobody']) }),
  z.object({
    intent: z.literal('macro'),
    macro: z.enum(['resend_sign_in_link', 'unlock_sign_in', 'resend_last_wave']),
  }),
]);

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, roles.workTickets);
  const page = await ticketPage(
    args.context,
    { id: active.staff.id, role: active.staff.role },
    args.params.ticketId ?? '',
  );
  if (!page) throw new Response('There is no such ticket.', { status: 404 });
  return page;
}

interface Answer {
  ok: boolean;
  message: string;
}

export async function action(args: ActionFunctionArgs) {
  const active = await requireStaff(args, roles.workTickets);
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  const parsed = ticketActionForm.safeParse(Object.fromEntries(form));
  if (!parsed.success)
    return data<Answer>(
      { ok: false, message: 'That could not be read. Check the form and try again.' },
      { status: 400 },
    );
  const desk = deskFor(args.context);
  const viewer = { id: active.staff.id, role: active.staff.role };
  const ticketId = args.params.ticketId ?? '';
  const done = (message: string) => data<Answer>({ ok: true, message });
  const refused = (reason: Parameters<typeof describeDeskRefusal>[0], retryAfterSeconds?: number) => {
    const { status, message } = describeDeskRefusal(reason, { retryAfterSeconds });
    return data<Answer>({ ok: false, message }, { status });
  };
  const input = parsed.data;

  switch (input.intent) {
    case 'reply': {
      const wait = input.wait === 'yes';
      const result = await desk.reply({ viewer, ticketId, text: input.text, waitOnPatient: wait });
      if (!result.ok) return refused(result.reason);
      const told =
        result.notice === 'sms'
          ? 'A text tells them there is a reply.'
          : result.notice === 'email'
            ? 'An email tells them there is a reply.'
            : 'We could not tell them by email or text: they will see it when they next visit the help page.';
      return done(
        `Reply sent. The patient reads it on the help page. ${told}${wait ? ' The clock is paused until they answer.' : ''}`,
      );
    }
    case 'note': {
      const result = await desk.note({ viewer, ticketId, text: input.text });
      if (!result.ok) return refused(result.reason);
      return done('Note added. Only staff see it.');
    }
    case 'status': {
      const result = await desk.setStatus({ viewer, ticketId, status: input.status });
      if (!result.ok) return refused(result.reason);
      const words = { open: 'Reopened.', solved: 'Marked solved.', closed: 'Closed.' } as const;
      return done(result.changed ? words[input.status] : 'Nothing changed: it already had that status.');
    }
    case 'merge': {
      const result = await desk.merge({ viewer, ticketId, intoNumber: input.into });
      if (!result.ok) return refused(result.reason);
      return done(
        `Merged into ticket #${result.intoNumber}: ${result.moved} message${result.moved === 1 ? '' : 's'} moved there.`,
      );
    }
    case 'assign': {
      const result = await desk.assign({ viewer, ticketId, to: input.to === 'me' ? viewer.id : null });
      if (!result.ok) return refused(result.reason);
      return done(input.to === 'me' ? 'The ticket is yours now.' : 'The ticket is back in its queue.');
    }
    case 'macro': {
      const result = await desk.runMacro({ viewer, ticketId, macro: input.macro });
      if (!result.ok)
        return result.reason === 'too_many_requests'
          ? refused(result.reason, result.retryAfterSeconds)
          : refused(result.reason);
      return done(`${result.detail} This is recorded in the audit log.`);
    }
  }
}

export default function TicketPage() {
  const page = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const { ticket, can, patient, contact } = page;
  const flaggedLocked = ticket.safetyFlag && !can.closeFlagged;
  return (
    <>
      <p>
        <Link to="/staff/tickets">All tickets</Link>
      </p>
      <h1>
        Ticket #{ticket.number}{' '}
        <span className="badge">
          <span className="visually-hidden">Status: </span>
          {ticket.statusLabel}
        </span>
      </h1>
      <p className="hint">Your view of this ticket is written to the audit log.</p>
      {answer ? (
        <p role={answer.ok ? 'status' : 'alert'} className={answer.ok ? 'success' : 'error'}>
          {answer.message}
        </p>
      ) : null}

      {ticket.safetyFlag ? (
        <section className="notice warning" aria-labelledby="safety-heading">
          <h2 id="safety-heading">Safety: the patient may be in danger</h2>
          <p>
            The safety screen found words about {ticket.safetyAbout.join(' and ') || 'an emergency'}. The
            patient was told at once to call 911 (or 988 for a crisis). A clinician must follow up; only
            clinical staff can solve or close this ticket.
          </p>
        </section>
      ) : null}
      {ticket.mergedInto ? (
        <p className="notice">
          This ticket was merged into{' '}
          <Link to={`/staff/tickets/${ticket.mergedInto.id}`}>ticket #{ticket.mergedInto.number}</Link>. Work
          on that one.
        </p>
      ) : null}

      <dl className="facts">
        <dt>About</dt>
        <dd>{ticket.about}</dd>
        <dt>Priority</dt>
        <dd>{ticket.urgent ? <strong>{ticket.priority}</strong> : ticket.priority}</dd>
        <dt>Queue</dt>
        <dd>{ticket.queue}</dd>
        <dt>Assigned to</dt>
        <dd>{ticket.assignee ?? 'nobody yet'}</dd>
        <dt>Came in</dt>
        <dd>
          {ticket.created} by {ticket.channel}, in {ticket.language}
        </dd>
        <dt>First response</dt>
        <dd>{ticket.firstResponse}</dd>
        <dt>Resolution</dt>
        <dd>{ticket.resolution}</dd>
        {ticket.tags.length ? (
          <>
            <dt>Tags</dt>
            <dd>{ticket.tags.join(', ')}</dd>
          </>
        ) : null}
        {ticket.mergedFrom.length ? (
          <>
            <dt>Merged into this one</dt>
            <dd>
              {ticket.mergedFrom.map((m, i) => (
                <Fragment key={m.id}>
                  {i > 0 ? ', ' : ''}
                  <Link to={`/staff/tickets/${m.id}`}>#{m.number}</Link>
                </Fragment>
              ))}
            </dd>
          </>
        ) : null}
      </dl>

      <section aria-labelledby="thread-heading">
        <h2 id="thread-heading">Conversation</h2>
        {page.masked ? (
          <p className="hint">
            This is a clinical ticket: what was written is shown to clinical staff only. You can still see who
            wrote and when, add notes, and use the sign-in actions.
          </p>
        ) : null}
        {page.thread.length === 0 ? <p>No messages.</p> : null}
        <ol className="plain-list">
          {page.thread.map((m) => (
            <li key={m.id} className={m.kind === 'note' ? 'notice' : m.kind === 'event' ? 'hint' : undefined}>
              <article aria-label={`${m.from}, ${m.at}`}>
                <h3>
                  {m.from}{' '}
                  <span className="hint">
                    — {m.at}, by {m.via}
                  </span>
                </h3>
                {m.kind === 'note' ? <p className="hint">Internal note: the patient never sees it.</p> : null}
                {m.masked ? (
                  <p>
                    <em>Clinical text — shown to clinical staff only</em>
                  </p>
                ) : (
                  <p>
                    {(m.text ?? '').split('\n').map((line, i) => (
                      <Fragment key={i}>
                        {i > 0 ? <br /> : null}
                        {line}
                      </Fragment>
                    ))}
                  </p>
                )}
              </article>
            </li>
          ))}
        </ol>
      </section>

      {can.reply ? (
        <section aria-labelledby="reply-heading">
          <h2 id="reply-heading">Reply to the patient</h2>
          <Form method="post" reloadDocument>
            <CsrfInput />
            <input type="hidden" name="intent" value="reply" />
            <label htmlFor="reply-text">Your reply</label>
            <p className="hint" id="reply-hint">
              The patient reads it on the help page. Their email or text only says that there is a reply,
              never what it says.
            </p>
            <textarea id="reply-text" name="text" rows={6} cols={60} required aria-describedby="reply-hint" />
            <label className="choice">
              <input type="checkbox" name="wait" value="yes" /> Wait for the patient&apos;s answer
            </label>
            <p className="hint">The resolution clock pauses until they write back.</p>
            <button type="submit">Send reply</button>
          </Form>
        </section>
      ) : page.masked ? (
        <p className="hint">Only clinical staff can reply to this ticket.</p>
      ) : null}

      <section aria-labelledby="note-heading">
        <h2 id="note-heading">Internal note</h2>
        <Form method="post" reloadDocument>
          <CsrfInput />
          <input type="hidden" name="intent" value="note" />
          <label htmlFor="note-text">Note for staff</label>
          <textarea id="note-text" name="text" rows={3} cols={60} required />
          <button type="submit" className="secondary">
            Add note
          </button>
        </Form>
      </section>

      {can.changeStatus ? (
        <section aria-labelledby="status-heading">
          <h2 id="status-heading">Status</h2>
          {flaggedLocked ? (
            <p className="hint">Only clinical staff can solve or close a ticket the safety screen flagged.</p>
          ) : null}
          {(['open', 'solved', 'closed'] as const)
            .filter((s) => s !== ticket.status)
            .filter((s) => s === 'open' || !flaggedLocked)
            .map((s) => (
              <Form key={s} method="post" reloadDocument className="inline-form">
                <CsrfInput />
                <input type="hidden" name="intent" value="status" />
                <input type="hidden" name="status" value={s} />
                <button type="submit" className="secondary">
                  {s === 'open' ? 'Reopen' : s === 'solved' ? 'Mark solved' : 'Close'}
                </button>{' '}
              </Form>
            ))}
        </section>
      ) : null}

      {can.assign ? (
        <section aria-labelledby="assign-heading">
          <h2 id="assign-heading">Who works on it</h2>
          {can.assignToMe ? (
            <Form method="post" reloadDocument className="inline-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="assign" />
              <input type="hidden" name="to" value="me" />
              <button type="submit">Assign to me</button>{' '}
            </Form>
          ) : null}
          {ticket.assignee ? (
            <Form method="post" reloadDocument className="inline-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="assign" />
              <input type="hidden" name="to" value="nobody" />
              <button type="submit" className="secondary">
                {ticket.assignedToMe ? 'Unassign me' : 'Unassign'}
              </button>
            </Form>
          ) : null}
        </section>
      ) : null}

      {can.merge ? (
        <section aria-labelledby="merge-heading">
          <h2 id="merge-heading">Merge</h2>
          <Form method="post" reloadDocument>
            <CsrfInput />
            <input type="hidden" name="intent" value="merge" />
            <label htmlFor="merge-into">Merge this ticket into ticket number</label>
            <p className="hint" id="merge-hint">
              Its messages move to that ticket and this one is closed as merged. Only tickets of the same
              patient can be merged.
            </p>
            <input
              id="merge-into"
              name="into"
              type="text"
              inputMode="numeric"
              required
              aria-describedby="merge-hint"
            />
            <button type="submit" className="secondary">
              Merge
            </button>
          </Form>
        </section>
      ) : null}

      {can.macros ? (
        <section aria-labelledby="macros-heading">
          <h2 id="macros-heading">Help the patient sign in</h2>
          <p className="hint">
            These act at once, with the same limits as when patients ask themselves, and are recorded in the
            audit log.
          </p>
          {page.macros.map((m) => (
            <Form key={m.name} method="post" reloadDocument className="inline-form">
              <CsrfInput />
              <input type="hidden" name="intent" value="macro" />
              <input type="hidden" name="macro" value={m.name} />
              <button type="submit" className="secondary">
                {m.label}
              </button>{' '}
            </Form>
          ))}
        </section>
      ) : null}

      <section aria-labelledby="patient-heading">
        <h2 id="patient-heading">Who wrote</h2>
        {patient ? (
          <>
            <dl className="facts">
              <dt>Patient</dt>
              <dd>
                {can.openPatient ? (
                  <Link to={`/staff/patients/${patient.id}`}>{patient.name}</Link>
                ) : (
                  patient.name
                )}
              </dd>
              <dt>Migration state</dt>
              <dd>{patient.state}</dd>
              <dt>Cohort</dt>
              <dd>{patient.cohort ?? '—'}</dd>
              <dt>Email</dt>
              <dd>{patient.email ?? '—'}</dd>
              <dt>Phone</dt>
              <dd>{patient.phone ?? '—'}</dd>
              {patient.lockedUntil ? (
                <>
                  <dt>Password sign-in</dt>
                  <dd>paused until {patient.lockedUntil}</dd>
                </>
              ) : null}
            </dl>
            {patient.waveMessages.length ? (
              <>
                <h3>Transition messages</h3>
                <ul>
                  {patient.waveMessages.map((w, i) => (
                    <li key={i}>
                      {w.wave} by {w.channel}: {w.state.replace(/_/g, ' ')}{' '}
                      <span className="hint">({w.at})</span>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            <h3>Identity timeline</h3>
            {patient.timeline.length === 0 ? <p>Nothing recorded yet.</p> : null}
            <ol>
              {patient.timeline.map((t, i) => (
                <li key={i}>
                  <strong>{t.at}</strong> — {t.what}
                  {t.detail ? <span className="hint"> ({t.detail})</span> : null}
                </li>
              ))}
            </ol>
          </>
        ) : (
          <>
            <p>Not tied to a patient account: the sender was not verified.</p>
            {contact ? (
              <dl className="facts">
                <dt>Email</dt>
                <dd>{contact.email ?? '—'}</dd>
                <dt>Phone</dt>
                <dd>{contact.phone ?? '—'}</dd>
              </dl>
            ) : null}
          </>
        )}
      </section>
    </>
  );
}
