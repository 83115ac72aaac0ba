import type { LoaderFunctionArgs } from '@remix-run/node';
import { Form, useLoaderData } from '@remix-run/react';
import { listRecentAudit, verifyAuditChain } from '../../db/audit.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';

export async function loader(args: LoaderFunctionArgs) {
  await requireStaff(args, ['admin']);
  const { db } = args.context.services.database;
  // Walking the whole chain reads every row: only when asked, not on every view.
  const verify = new URL(args.request.url).searchParams.has('verify');
  const [verification, events] = await Promise.all([
    verify ? verifyAuditChain(db) : null,
    listRecentAudit(db, 100),
  ]);
  return {
    verification,
    events: events.map((e) => ({
      seq: e.seq,
      at: e.at.toISOString(),
      action: e.action,
      actor: e.actorId ? `${e.actorType} ${e.actorId.slice(0, 8)}` : e.actorType,
      subject: e.subjectId ? `${e.subjectType ?? ''} ${e.subjectId.slice(0, 8)}` : '',
      data: JSON.stringify(e.data),
    })),
  };
}

export default function Audit() {
  const { verification, events } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Audit log</h1>
      {verification === null ? (
        <Form method="get">
          <input type="hidden" name="verify" value="1" />
          <p>Check that no event was altered or removed since it was written.</p>
          <button type="submit" className="secondary">
            Verify the whole chain
          </button>
        </Form>
      ) : verification.ok ? (
        <p className="success" role="status">
          {`The chain holds: all ${verification.checked.toLocaleString('en-US')} events verified.`}
        </p>
      ) : (
        <p className="error" role="alert">
          {`The chain is broken at event ${verification.seq} (${verification.reason.replace('_', ' ')}).`} Run{' '}
          <code>causeway audit verify</code> and escalate.
        </p>
      )}
      <h2>Latest events</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When (UTC)</th>
            <th scope="col">Event</th>
            <th scope="col">By</th>
            <th scope="col">About</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{e.at.slice(0, 19).replace('T', ' ')}</td>
              <td>{e.action}</td>
              <td>{e.actor}</td>
              <td>{e.subject}</td>
              <td>
                <code>{e.data}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
