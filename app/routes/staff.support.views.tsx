// Supervisors' review of who opened which ticket: the audit log's ticket views, newest first, by staff
// email and date range, a page at a time.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { ticketViews } from '../../messaging/support/support-metrics.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { periodQuery } from '../utils/period-query.ts';
import { roles } from '../utils/staff-roles.ts';

export const meta: MetaFunction = () => [{ title: 'Ticket views' }];

const DAY_MS = 86_400_000;
const PAGE_SIZE = 50;

export const viewsQuery = periodQuery.extend({
  email: z.string().trim().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).optional().catch(undefined),
});

function utcDay(text: string | undefined): Date | null {
  if (!text) return null;
  const t = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(t) ? null : new Date(t);
}

export async function loader(args: LoaderFunctionArgs) {
  await requireStaff(args, roles.reviewTicketViews);
  const query = viewsQuery.parse(Object.fromEntries(new URL(args.request.url).searchParams));
  const to = utcDay(query.to);
  const result = await ticketViews(args.context.services.database.db, {
    staffEmail: query.email || null,
    from: utcDay(query.from),
    // The "to" day is included.
    to: to ? new Date(to.getTime() + DAY_MS) : null,
    page: query.page ?? 1,
    pageSize: PAGE_SIZE,
  });
  return {
    filter: { email: query.email ?? '', from: query.from ?? '', to: query.to ?? '' },
    total: result.total,
    page: result.page,
    pages: Math.max(1, Math.ceil(result.total / result.pageSize)),
    rows: result.rows.map((r) => ({
      seq: r.seq,
      at: r.at.toISOString(),
      staff: r.staffEmail ?? (r.staffId ? `removed staff ${r.staffId.slice(0, 8)}` : 'unknown'),
      ticketNumber: r.ticketNumber,
      masked: r.masked,
    })),
  };
}

export default function TicketViews() {
  const view = useLoaderData<typeof loader>();
  const pageLink = (page: number) => {
    const params = new URLSearchParams();
    if (view.filter.email) params.set('email', view.filter.email);
    if (view.filter.from) params.set('from', view.filter.from);
    if (view.filter.to) params.set('to', view.filter.to);
    params.set('page', String(page));
    return `?${params.toString()}`;
  };
  return (
    <>
      <p>
        <Link to="/staff/support">Support rules and reports</Link>
      </p>
      <h1>Ticket views</h1>
      <p>Every time someone on staff opens a ticket, it is logged here. Newest first.</p>
      <Form method="get" className="inline-filter" aria-labelledby="filter-heading">
        <h2 id="filter-heading" className="visually-hidden">
          Filter
        </h2>
        <label htmlFor="email">Staff email</label>{' '}
        <input id="email" name="email" type="search" defaultValue={view.filter.email} />{' '}
        <label htmlFor="from">From</label>{' '}
        <input id="from" name="from" type="date" defaultValue={view.filter.from} />{' '}
        <label htmlFor="to">To</label> <input id="to" name="to" type="date" defaultValue={view.filter.to} />{' '}
        <button type="submit" className="secondary">
          Show
        </button>
      </Form>
      <p role="status">
        {view.total === 0
          ? 'No ticket views match.'
          : `${view.total.toLocaleString('en-US')} views; page ${view.page} of ${view.pages}.`}
      </p>
      {view.rows.length ? (
        <table>
          <caption className="visually-hidden">Ticket views, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When (UTC)</th>
              <th scope="col">Who</th>
              <th scope="col">Ticket</th>
              <th scope="col">Clinical text</th>
            </tr>
          </thead>
          <tbody>
            {view.rows.map((r) => (
              <tr key={r.seq}>
                <td>{r.at.slice(0, 19).replace('T', ' ')}</td>
                <td>{r.staff}</td>
                <td>{r.ticketNumber === null ? 'unknown' : `#${r.ticketNumber}`}</td>
                <td>{r.masked === null ? 'not recorded' : r.masked ? 'masked' : 'shown'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <nav aria-label="Pages">
        {view.page > 1 ? <Link to={pageLink(view.page - 1)}>Newer</Link> : null}{' '}
        {view.page < view.pages ? <Link to={pageLink(view.page + 1)}>Older</Link> : null}
      </nav>
    </>
  );
}
