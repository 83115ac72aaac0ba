// Patient sign-out: ends the portal session and the provider's session in this browser.
import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { requireCsrf } from '../utils/csrf.server.ts';
import { patientCookie, readPatientToken } from '../utils/patient-auth.server.ts';

export async function loader() {
  // Signing out changes state, so it is a POST only.
  throw redirect('/');
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  await context.services.patientSessions.end(readPatientToken(request));
  await context.services.oidc.endBrowserSession(context.node.req, context.node.res);
  return redirect('/?signed_out=1', { headers: { 'Set-Cookie': patientCookie(context, null) } });
}
