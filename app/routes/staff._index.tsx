import type { LoaderFunctionArgs } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { summarizeCohorts } from '../../identity/cohorts.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { pagesFor } from '../utils/staff-nav.ts';

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, 'any');
  const byCohort = await summarizeCohorts(args.context.services.database.db);
  return {
    byCohort,
    pages: pagesFor(active.staff.role)
      .slice(1)
      .map(({ to, label }) => ({ to, label })),
  };
}

export default function StaffHome() {
  const { byCohort, pages } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Overview</h1>
      <h2>Cohorts</h2>
      {byCohort.length === 0 ? (
        <p>No cohorts yet. Import patients to create them.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Cohort</th>
              <th scope="col">Phase</th>
              <th scope="col">Cutover date</th>
              <th scope="col">Patients</th>
            </tr>
          </thead>
          <tbody>
            {byCohort.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td>{c.phase.replace('_', ' ')}</td>
                <td>{c.cutoverDate ?? 'not set'}</td>
                <td>{c.patients.toLocaleString('en-US')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pages.length > 0 ? (
        <>
          <h2>Your tools</h2>
          <ul>
            {pages.map((p) => (
              <li key={p.to}>
                <Link to={p.to}>{p.label}</Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
