// The support desk at a glance for admins: tickets per 1,000 patients by day (a chart and its table), by
// cohort and by subtype; how fast first answers come (90th percentile); refill SLA attainment; and the
// way to the routing rules and the ticket-view log.
import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData } from '@remix-run/react';
import { supportMetrics } from '../../messaging/support/support-metrics.ts';
import { periodQuery } from '../utils/period-query.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { may, roles } from '../utils/staff-roles.ts';

export const meta: MetaFunction = () => [{ title: 'Support rules and reports' }];

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

function utcDay(text: string | undefined): number | null {
  if (!text) return null;
  const t = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(t) ? null : t;
}

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, roles.manageSupport);
  const url = new URL(args.request.url);
  const query = periodQuery.parse(Object.fromEntries(url.searchParams));
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  let to = utcDay(query.to) ?? today;
  let from = utcDay(query.from) ?? to - 13 * DAY_MS;
  if (from > to) [from, to] = [to, from];
  let note: string | null = null;
  if (to - from >= MAX_DAYS * DAY_MS) {
    from = to - (MAX_DAYS - 1) * DAY_MS;
    note = `We show at most ${MAX_DAYS} days: the period starts ${new Date(from).toISOString().slice(0, 10)}.`;
  }
  const metrics = await supportMetrics(args.context.services.database.db, {
    from: new Date(from),
    to: new Date(to + DAY_MS),
  });
  return {
    from: new Date(from).toISOString().slice(0, 10),
    to: new Date(to).toISOString().slice(0, 10),
    note,
    canReviewViews: may(active.staff.role, roles.reviewTicketViews),
    overall: metrics.overall,
    byCohort: metrics.byCohort.map(({ cohortId, ...rest }) => ({ key: cohortId ?? 'none', ...rest })),
    bySubtype: metrics.bySubtype,
    byDay: metrics.byDay,
    firstResponse: metrics.firstResponse,
    refillSla: metrics.refillSla,
  };
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });
const per1000 = (n: number | null) => (n === null ? 'no patients' : fmt(n));

function minutesText(m: number | null): string {
  if (m === null) return 'no answers yet';
  if (m < 120) return `${fmt(m)} min`;
  return `${fmt(m)} min (${fmt(Math.round((m / 60) * 10) / 10)} h)`;
}

const categoryWords: Record<string, string> = {
  sign_in: "Can't sign in",
  refill: 'Refill',
  billing: 'Billing',
  appointment: 'Appointment',
  other: 'Other',
};

/** Tickets per day as vertical bars, drawn on the server (no script, nothing the CSP refuses). */
function TicketsPerDayChart({ days }: { days: { day: string; tickets: number }[] }) {
  const barGap = 2;
  const plotHeight = 120;
  const top = 16;
  const left = 36;
  const barWidth = Math.max(4, Math.min(28, Math.floor(560 / Math.max(days.length, 1)) - barGap));
  const width = left + days.length * (barWidth + barGap) + 8;
  const height = top + plotHeight + 34;
  const max = Math.max(1, ...days.map((d) => d.tickets));
  const total = days.reduce((sum, d) => sum + d.tickets, 0);
  const busiest = days.reduce<{ day: string; tickets: number } | null>(
    (best, d) => (best === null || d.tickets > best.tickets ? d : best),
    null,
  );
  const first = days[0]?.day ?? '';
  const last = days.at(-1)?.day ?? '';
  const description =
    `${fmt(total)} tickets from ${first} to ${last}` +
    (busiest && busiest.tickets > 0
      ? `; the busiest day was ${busiest.day} with ${fmt(busiest.tickets)}.`
      : '.') +
    ' The table below has every day.';
  return (
    <svg
      className="support-chart"
      role="img"
      aria-labelledby="per-day-title per-day-desc"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
    >
      <title id="per-day-title">Tickets opened per day (UTC)</title>
      <desc id="per-day-desc">{description}</desc>
      <g aria-hidden="true">
        <line x1={left - 4} y1={top + plotHeight} x2={width - 4} y2={top + plotHeight} stroke="#4a5561" />
        <text x={left - 8} y={top + 4} fontSize="12" textAnchor="end" fill="#4a5561">
          {fmt(max)}
        </text>
        <text x={left - 8} y={top + plotHeight} fontSize="12" textAnchor="end" fill="#4a5561">
          0
        </text>
        {days.map((d, i) => {
          const h = Math.round((d.tickets / max) * plotHeight);
          const x = left + i * (barWidth + barGap);
          return (
            <rect key={d.day} x={x} y={top + plotHeight - h} width={barWidth} height={h} fill="#0b5cad">
              <title>{`${d.day}: ${fmt(d.tickets)}`}</title>
            </rect>
          );
        })}
        <text x={left} y={top + plotHeight + 18} fontSize="12" fill="#4a5561">
          {first}
        </text>
        <text x={width - 8} y={top + plotHeight + 18} fontSize="12" textAnchor="end" fill="#4a5561">
          {days.length > 1 ? last : ''}
        </text>
      </g>
    </svg>
  );
}

export default function SupportOverview() {
  const view = useLoaderData<typeof loader>();
  const sla = view.refillSla;
  return (
    <>
      <h1>Support rules and reports</h1>
      <ul>
        <li>
          <Link to="/staff/support/rules">Routing rules</Link>: which queue each request goes to, in order,
          with a dry run.
        </li>
        {view.canReviewViews ? (
          <li>
            <Link to="/staff/support/views">Ticket views</Link>: who opened which ticket, and when.
          </li>
        ) : null}
      </ul>

      <Form method="get" className="inline-filter" aria-labelledby="period-heading">
        <h2 id="period-heading">Period (UTC days)</h2>
        <label htmlFor="from">From</label>{' '}
        <input id="from" name="from" type="date" defaultValue={view.from} /> <label htmlFor="to">To</label>{' '}
        <input id="to" name="to" type="date" defaultValue={view.to} />{' '}
        <button type="submit" className="secondary">
          Show
        </button>
      </Form>
      {view.note ? <p role="status">{view.note}</p> : null}

      <p>
        {`${fmt(view.overall.tickets)} tickets from ${view.from} to ${view.to}: ${per1000(view.overall.per1000)} per 1,000 patients (${fmt(view.overall.patients)} patients).`}
      </p>

      <h2>Tickets per day</h2>
      <TicketsPerDayChart days={view.byDay} />
      <table>
        <caption className="visually-hidden">Tickets opened per day (UTC)</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Tickets</th>
            <th scope="col">Per 1,000 patients</th>
          </tr>
        </thead>
        <tbody>
          {view.byDay.map((d) => (
            <tr key={d.day}>
              <th scope="row">{d.day}</th>
              <td>{fmt(d.tickets)}</td>
              <td>{per1000(d.per1000)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>By cohort</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Cohort</th>
            <th scope="col">Tickets</th>
            <th scope="col">Patients</th>
            <th scope="col">Per 1,000 patients</th>
          </tr>
        </thead>
        <tbody>
          {view.byCohort.map((c) => (
            <tr key={c.key}>
              <th scope="row">{c.cohort}</th>
              <td>{fmt(c.tickets)}</td>
              <td>{fmt(c.patients)}</td>
              <td>{per1000(c.per1000)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>By kind of request</h2>
      {view.bySubtype.length === 0 ? (
        <p>No tickets in this period.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Category</th>
              <th scope="col">Subtype</th>
              <th scope="col">Tickets</th>
              <th scope="col">Per 1,000 patients</th>
            </tr>
          </thead>
          <tbody>
            {view.bySubtype.map((s) => (
              <tr key={`${s.category}/${s.subtype ?? ''}`}>
                <th scope="row">{categoryWords[s.category] ?? s.category}</th>
                <td>{s.subtype ? s.subtype.replace(/_/g, ' ') : 'none given'}</td>
                <td>{fmt(s.tickets)}</td>
                <td>{per1000(s.per1000)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>First response</h2>
      <p>
        {`9 in 10 first answers came within ${minutesText(view.firstResponse.p90Minutes)} (${fmt(view.firstResponse.answered)} tickets answered).`}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Answered</th>
            <th scope="col">90th percentile</th>
          </tr>
        </thead>
        <tbody>
          {view.firstResponse.byQueue.map((q) => (
            <tr key={q.queueId}>
              <th scope="row">{q.queue}</th>
              <td>{fmt(q.answered)}</td>
              <td>{minutesText(q.p90Minutes)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Refills answered in time</h2>
      <p>
        {sla.attainment === null
          ? 'No refill request was due in this period.'
          : `${fmt(Math.round(sla.attainment * 1000) / 10)}% of refill requests got a first answer in time: ${fmt(sla.met)} in time, ${fmt(sla.missed)} late or still unanswered past due.`}
        {sla.pending > 0 ? ` ${fmt(sla.pending)} more are not due yet.` : ''}
      </p>
    </>
  );
}
