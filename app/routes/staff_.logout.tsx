import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { requireCsrf } from '../utils/csrf.server.ts';
import { clearStaffCookie, readStaffToken } from '../utils/staff-auth.server.ts';

export async function loader() {
  // Signing out changes state, so it is a POST only.
  throw redirect('/staff');
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const active = await context.services.staff.getSession(readStaffToken(request));
  if (active) await context.services.staff.signOut(active);
  return redirect('/staff/login?reason=signed_out', { headers: { 'Set-Cookie': clearStaffCookie(context) } });
}
