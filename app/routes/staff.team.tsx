import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { staffRoles } from '../../identity/staff/staff-service.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaff } from '../utils/staff-auth.server.ts';

// Built inside the action: the role list lives in server-only code.
function teamActionSchema() {
  return z.discriminatedUnion('intent', [
    z.object({ intent: z.literal('change_role'), staffId: z.string().uuid(), role: z.enum(staffRoles) }),
    z.object({ intent: z.literal('revoke_session'), sessionId: z.string().uuid() }),
  ]);
}

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, ['admin']);
  const { staff } = args.context.services;
  const [members, sessions] = await Promise.all([staff.listStaff(), staff.listActiveSessions()]);
  return { me: active.staff.id, mySession: active.session.id, members, sessions, roles: staffRoles };
}

export async function action(args: ActionFunctionArgs) {
  const form = await args.request.formData();
  requireCsrf(args.request, form, args.context);
  const active = await requireStaff(args, ['admin']);
  const parsed = teamActionSchema().safeParse(Object.fromEntries(form));
  if (!parsed.success)
    return data(
      { message: 'That change could not be read. Reload the page and try again.', ok: false },
      { status: 400 },
    );
  const actor = { type: 'staff' as const, id: active.staff.id };
  const { staff } = args.context.services;
  if (parsed.data.intent === 'change_role') {
    const result = await staff.changeRole(parsed.data.staffId, parsed.data.role, actor);
    if (!result.ok) {
      const message =
        result.reason === 'last_admin'
          ? 'There must always be at least one admin.'
          : 'That staff member no longer exists.';
      return data({ message, ok: false }, { status: 409 });
    }
    return {
      message: 'Role changed. Their sessions were ended, so they sign in again with the new role.',
      ok: true,
    };
  }
  const revoked = await staff.revokeSession(parsed.data.sessionId, actor);
  return { message: revoked ? 'Session ended.' : 'That session had already ended.', ok: revoked };
}

export default function Team() {
  const { members, sessions, roles, mySession } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <h1>Staff and sessions</h1>
      {result ? (
        <p role="status" className={result.ok ? 'success' : 'error'}>
          {result.message}
        </p>
      ) : null}
      <h2>Staff</h2>
      <p className="hint">
        Add staff with <code>causeway staff add --email … --role …</code>; they get a one-time password.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Authenticator</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.id}>
              <td>{m.email}</td>
              <td>
                <Form method="post" className="inline-form">
                  <CsrfInput />
                  <input type="hidden" name="intent" value="change_role" />
                  <input type="hidden" name="staffId" value={m.id} />
                  <label htmlFor={`role-${m.id}`} className="visually-hidden">
                    Role of {m.email}
                  </label>
                  <select id={`role-${m.id}`} name="role" defaultValue={m.role}>
                    {roles.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                  <button type="submit" className="secondary">
                    Change role
                  </button>
                </Form>
              </td>
              <td>{m.totpEnrolledAt ? 'set up' : 'not yet'}</td>
              <td>{m.lockedUntil && new Date(m.lockedUntil) > new Date() ? 'locked' : 'active'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Signed-in sessions</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Staff member</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last active</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.id}>
              <td>{s.email}</td>
              <td>{new Date(s.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC</td>
              <td>{new Date(s.lastSeenAt).toISOString().slice(0, 16).replace('T', ' ')} UTC</td>
              <td>
                {s.id === mySession ? (
                  'This session'
                ) : (
                  <Form method="post" className="inline-form">
                    <CsrfInput />
                    <input type="hidden" name="intent" value="revoke_session" />
                    <input type="hidden" name="sessionId" value={s.id} />
                    <button type="submit" className="secondary">
                      End session
                    </button>
                  </Form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
