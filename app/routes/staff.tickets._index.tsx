// The ticket queues: mine, unassigned, all and each queue, most urgent and longest waiting first, with
// the first-response clock of each; and the agent's "I'm available for tickets" switch.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { roles } from '../utils/staff-roles.ts';
import { deskFor, parseQueueView, queuePage } from '../utils/tickets-view.server.ts';

export const meta: MetaFunction = () => [{ title: 'Tickets' }];

const availabilityForm = z.object({
  intent: z.literal('availability'),
  available: z.enum(['yes', 'no']),
});

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, roles.workTickets);
  const params = new URL(args.request.url).searchParams;
  const number = params.get('number');
  if (number !== null) {
    const wanted = Number(number.replace(/^#/, '').trim());
    const id = await deskFor(args.context).findByNumber(wanted);
    if (id) throw redirect(`/staff/tickets/${id}`);
  }
  const page = z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .catch(1)
    .parse(params.get('page') ?? 1);
  const view = parseQueueView(params.get('view'));
  const result = await queuePage(
    args.context,
    { id: active.staff.id, role: active.staff.role },
    { view, page },
  );
  return { ...result, notFound: number !== null ? number : null };
}

export async function action(args: ActionFunctionArgs) {
  const active = await requireStaff(args, roles.workTickets);
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  const parsed = availabilityForm.safeParse(Object.fromEntries(form));
  if (!parsed.success)
    return data(
      { ok: false, message: 'That change could not be read. Reload the page and try again.' },
      { status: 400 },
    );
  const available = parsed.data.available === 'yes';
  const result = await deskFor(args.context).setAvailability({
    viewer: { id: active.staff.id, role: active.staff.role },
    available,
  });
  if (!result.ok) return data({ ok: false, message: 'Your role does not take tickets.' }, { status: 403 });
  return data({
    ok: true,
    message: available
      ? result.assigned > 0
        ? `You are available. ${result.assigned} waiting ticket${result.assigned === 1 ? ' was' : 's were'} given to the team just now.`
        : 'You are available. New tickets in your queues come to you, up to your limit.'
      : 'You are no longer available. Tickets you hold stay yours; new ones go to others.',
  });
}

export default function Tickets() {
  const page = useLoaderData<typeof loader>();
  const answer = useActionData<typeof action>();
  const link = (view: string, n = 1) =>
    `/staff/tickets?view=${encodeURIComponent(view)}${n > 1 ? `&page=${n}` : ''}`;
  return (
    <>
      <h1>Tickets</h1>
      {answer ? (
        <p role={answer.ok ? 'status' : 'alert'} className={answer.ok ? 'success' : 'error'}>
          {answer.message}
        </p>
      ) : null}
      {page.notFound !== null ? (
        <p role="alert" className="error">
          There is no ticket #{page.notFound.replace(/^#/, '')}.
        </p>
      ) : null}

      <section aria-labelledby="availability-heading">
        <h2 id="availability-heading" className="visually-hidden">
          Your availability
        </h2>
        <Form method="post" reloadDocument className="inline-form">
          <CsrfInput />
          <input type="hidden" name="intent" value="availability" />
          <input type="hidden" name="available" value={page.available ? 'no' : 'yes'} />
          <p>
            {page.available ? (
              <>
                <strong>You are available for tickets</strong>
                {page.load ? ` (${page.load.open} of ${page.load.capacity} open tickets)` : ''}.{' '}
              </>
            ) : (
              <>
                <strong>You are not taking new tickets.</strong>{' '}
              </>
            )}
            <button
              type="submit"
              className="secondary"
              aria-pressed={page.available}
              aria-describedby="availability-hint"
            >
              I&apos;m available for tickets
            </button>
          </p>
          <p className="hint" id="availability-hint">
            {page.available
              ? 'Press again to stop receiving new tickets.'
              : 'Press to receive new tickets from your queues, longest waiting first.'}
          </p>
        </Form>
      </section>

      <Form method="get" className="inline-filter">
        <label htmlFor="ticket-number">Go to ticket number</label>
        <input id="ticket-number" name="number" type="text" inputMode="numeric" size={8} />{' '}
        <button type="submit" className="secondary">
          Open
        </button>
      </Form>

      <nav aria-label="Ticket views">
        <ul className="inline-actions plain-list">
          {page.tabs.map((tab) => (
            <li key={tab.view} className="inline-form">
              <Link
                to={link(tab.view)}
                aria-current={tab.view === page.view ? 'page' : undefined}
                className={tab.view === page.view ? 'badge' : undefined}
              >
                {tab.label} ({tab.count.toLocaleString('en-US')})
              </Link>{' '}
            </li>
          ))}
        </ul>
      </nav>

      <h2>
        {page.viewLabel}: {page.total.toLocaleString('en-US')} open
      </h2>
      {page.rows.length === 0 ? (
        <p>No open tickets here.</p>
      ) : (
        <table>
          <caption className="visually-hidden">
            {page.viewLabel}, most urgent first, then longest waiting
          </caption>
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">About</th>
              <th scope="col">Priority</th>
              <th scope="col">Status</th>
              <th scope="col">Queue</th>
              <th scope="col">Assigned to</th>
              <th scope="col">Received</th>
              <th scope="col">First response</th>
            </tr>
          </thead>
          <tbody>
            {page.rows.map((r) => (
              <tr key={r.id}>
                <th scope="row">
                  <Link to={`/staff/tickets/${r.id}`}>#{r.number}</Link>
                  {r.safetyFlag ? (
                    <>
                      {' '}
                      <span className="badge">Safety</span>
                    </>
                  ) : null}
                </th>
                <td>
                  {r.about}
                  <span className="hint"> (by {r.channel})</span>
                </td>
                <td>{r.urgent ? <strong>{r.priority}</strong> : r.priority}</td>
                <td>
                  {r.status}
                  {r.paused ? <span className="hint"> (clock paused)</span> : null}
                </td>
                <td>{r.queue}</td>
                <td>{r.assignee ?? <span className="hint">nobody yet</span>}</td>
                <td>{r.created}</td>
                <td>
                  {r.firstResponse}
                  {r.late ? <strong className="error"> Late</strong> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page.pages > 1 ? (
        <nav aria-label="Pages">
          <p>
            {page.page > 1 ? <Link to={link(page.view, page.page - 1)}>Previous page</Link> : null}{' '}
            <span>
              Page {page.page} of {page.pages}
            </span>{' '}
            {page.page < page.pages ? <Link to={link(page.view, page.page + 1)}>Next page</Link> : null}
          </p>
        </nav>
      ) : null}
    </>
  );
}
