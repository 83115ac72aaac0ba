import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData, useSearchParams } from '@remix-run/react';
import { getImportRun, listRunRows } from '../../identity/import/import-runs.ts';
import { contactPoints } from '../../identity/patient-timeline.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { may, roles } from '../utils/staff-roles.ts';

export const meta: MetaFunction = () => [{ title: 'Import run' }];

const outcomes = ['imported', 'updated', 'unchanged', 'flagged', 'skipped'] as const;
type Outcome = (typeof outcomes)[number];

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, roles.viewImports);
  const { db } = args.context.services.database;
  const run = await getImportRun(db, args.params.runId ?? '');
  if (!run) throw new Response('No such import run', { status: 404 });
  const url = new URL(args.request.url);
  const outcomeParam = url.searchParams.get('outcome');
  const outcome = outcomes.includes(outcomeParam as Outcome) ? (outcomeParam as Outcome) : undefined;
  const page = Math.max(1, Number(url.searchParams.get('page')) || 1);
  const { rows, total } = await listRunRows(db, run.id, { outcome, page, pageSize: 100 });
  const unmasked = may(active.staff.role, roles.viewPatientIdentity);
  const contacts = await contactPoints(
    db,
    rows.flatMap((r) => (r.patientId ? [r.patientId] : [])),
    { masked: !unmasked },
  );
  return {
    run: {
      id: run.id,
      source: run.source,
      status: run.status,
      startedAt: run.startedAt.toISOString(),
      rows: run.rows,
      byOutcome: run.byOutcome,
      byReason: run.byReason,
      failure: run.failure,
    },
    rows: rows.map((r) => ({ ...r, contact: r.patientId ? (contacts.get(r.patientId) ?? null) : null })),
    total,
    page,
    pageSize: 100,
    canOpenPatients: unmasked,
    canExport: may(active.staff.role, roles.exportImportRows),
  };
}

export default function ImportRun() {
  const { run, rows, total, page, pageSize, canOpenPatients, canExport } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const current = params.get('outcome') ?? '';
  const reasons = Object.entries(run.byReason).sort((a, b) => b[1] - a[1]);
  const pageLink = (p: number) =>
    `?${new URLSearchParams({ ...(current ? { outcome: current } : {}), page: String(p) }).toString()}`;
  return (
    <>
      <p>
        <Link to="/staff/imports">All imports</Link>
      </p>
      <h1>
        Import of {run.source} <span className="badge">{run.status}</span>
      </h1>
      <p>
        Started {run.startedAt.slice(0, 16).replace('T', ' ')} UTC · {run.rows.toLocaleString('en-US')} rows
      </p>
      {run.failure ? (
        <p className="error" role="alert">
          The run stopped: {run.failure}
        </p>
      ) : null}
      <nav aria-label="Rows by outcome">
        <Link to="?" aria-current={current === '' ? 'page' : undefined}>
          All
        </Link>
        {outcomes.map((o) => (
          <span key={o}>
            {' · '}
            <Link to={`?outcome=${o}`} aria-current={current === o ? 'page' : undefined}>
              {`${o} (${(run.byOutcome[o] ?? 0).toLocaleString('en-US')})`}
            </Link>
          </span>
        ))}
      </nav>
      {canExport && ((run.byOutcome.flagged ?? 0) > 0 || (run.byOutcome.skipped ?? 0) > 0) ? (
        <p>
          <a href={`/staff/imports/${run.id}/problems.csv`} download>
            Download skipped and flagged rows (CSV) for correction
          </a>
        </p>
      ) : null}
      {reasons.length > 0 ? (
        <>
          <h2>Reasons</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Outcome / reason</th>
                <th scope="col">Rows</th>
              </tr>
            </thead>
            <tbody>
              {reasons.map(([key, n]) => (
                <tr key={key}>
                  <td>{key.replace(/_/g, ' ')}</td>
                  <td>{n.toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h2>Rows</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Legacy id</th>
            <th scope="col">Outcome</th>
            <th scope="col">Reasons</th>
            <th scope="col">Email</th>
            <th scope="col">Phone</th>
            <th scope="col">Password</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.line}>
              <td>{r.line}</td>
              <td>
                {r.patientId && canOpenPatients ? (
                  <Link to={`/staff/patients/${r.patientId}`}>{r.legacyId}</Link>
                ) : (
                  (r.legacyId ?? '—')
                )}
              </td>
              <td>{r.outcome}</td>
              <td>{r.reasons.join(', ').replace(/_/g, ' ')}</td>
              <td>{r.contact?.email ?? ''}</td>
              <td>{r.contact?.phone ?? ''}</td>
              <td>{r.hasPassword ? 'usable' : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > pageSize ? (
        <p>
          {page > 1 ? <Link to={pageLink(page - 1)}>Previous</Link> : null} Page {page} of{' '}
          {Math.ceil(total / pageSize)}{' '}
          {page * pageSize < total ? <Link to={pageLink(page + 1)}>Next</Link> : null}
        </p>
      ) : null}
    </>
  );
}
