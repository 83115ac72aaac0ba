import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { listImportRuns } from '../../identity/import/import-runs.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { roles } from '../utils/staff-roles.ts';

export const meta: MetaFunction = () => [{ title: 'Imports' }];

export async function loader(args: LoaderFunctionArgs) {
  await requireStaff(args, roles.viewImports);
  const runs = await listImportRuns(args.context.services.database.db);
  return {
    runs: runs.map((r) => ({
      id: r.id,
      source: r.source,
      format: r.format,
      status: r.status,
      startedAt: r.startedAt.toISOString(),
      rows: r.rows,
      byOutcome: r.byOutcome,
    })),
  };
}

const outcomes = ['imported', 'updated', 'unchanged', 'flagged', 'skipped'] as const;

export default function Imports() {
  const { runs } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Imports</h1>
      <p className="hint">
        Runs of <code>causeway import patients FILE</code>, newest first. Open a run to see each row and why
        it was flagged or skipped.
      </p>
      {runs.length === 0 ? (
        <p>No imports yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Started (UTC)</th>
              <th scope="col">File</th>
              <th scope="col">Status</th>
              <th scope="col">Rows</th>
              {outcomes.map((o) => (
                <th scope="col" key={o}>
                  {o}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <td>
                  <Link to={`/staff/imports/${run.id}`}>{run.startedAt.slice(0, 16).replace('T', ' ')}</Link>
                </td>
                <td>
                  {run.source} <span className="badge">{run.format}</span>
                </td>
                <td>{run.status}</td>
                <td>{run.rows.toLocaleString('en-US')}</td>
                {outcomes.map((o) => (
                  <td key={o}>{(run.byOutcome[o] ?? 0).toLocaleString('en-US')}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
