import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, isRouteErrorResponse, NavLink, Outlet, useLoaderData, useRouteError } from '@remix-run/react';
import { CsrfInput } from '../components/csrf-input.tsx';
import { IdleWarning } from '../components/idle-warning.tsx';
import { requireStaff } from '../utils/staff-auth.server.ts';
import { pagesFor } from '../utils/staff-nav.ts';

export const meta: MetaFunction = () => [{ title: 'Staff console' }];

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaff(args, 'any');
  return {
    email: active.staff.email,
    role: active.staff.role,
    nav: pagesFor(active.staff.role).map(({ to, label }) => ({ to, label })),
    idleExpiresAt: active.idleExpiresAt.toISOString(),
    idleWarningMs: args.context.services.config.staff.idleWarningMs,
  };
}

export default function StaffLayout() {
  const data = useLoaderData<typeof loader>();
  return (
    <div className="staff-body">
      <nav className="staff-nav" aria-label="Staff console">
        <a className="skip-link" href="#main">
          Skip to main content
        </a>
        {data.nav.map((page) => (
          <NavLink key={page.to} to={page.to} end>
            {page.label}
          </NavLink>
        ))}
        <p className="who">
          {data.email}
          <br />
          <span className="badge">{data.role}</span>
        </p>
        <Form method="post" action="/staff/logout" reloadDocument>
          <CsrfInput />
          <button type="submit" className="link">
            Sign out
          </button>
        </Form>
      </nav>
      <main id="main" className="staff-main" tabIndex={-1}>
        <Outlet />
      </main>
      <IdleWarning expiresAt={data.idleExpiresAt} warningMs={data.idleWarningMs} />
    </div>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const forbidden = isRouteErrorResponse(error) && error.status === 403;
  return (
    <main id="main" className="card">
      <h1>{forbidden ? 'You do not have access to this page' : 'Something went wrong'}</h1>
      <p>
        {forbidden
          ? 'Your role does not include this page. If you need it for your work, ask an admin.'
          : 'Please try again. If it keeps happening, tell the on-call engineer.'}
      </p>
      <p>
        <a href="/staff">Back to the staff console</a>
      </p>
    </main>
  );
}
