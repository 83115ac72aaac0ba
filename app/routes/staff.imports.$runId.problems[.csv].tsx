import type { LoaderFunctionArgs } from '@remix-run/node';
import { exportProblemRows, getImportRun } from '../../identity/import/import-runs.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { roles } from '../utils/staff-roles.ts';

// The skipped and flagged rows of a run, as read, for correction. Personal data: audited.
export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, roles.exportImportRows);
  const { database, cipher } = args.context.services;
  const run = await getImportRun(database.db, args.params.runId ?? '');
  if (!run) throw new Response('No such import run', { status: 404 });
  const csv = await exportProblemRows(database.db, cipher, run.id, {
    staffId: active.staff.id,
    role: active.staff.role,
  });
  return new Response(csv, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="import-${run.id.slice(0, 8)}-problems.csv"`,
    },
  });
}
