// "Stay signed in": extends the signed-in patient's session (WCAG 2.2.1). The warning dialog posts here
// with JavaScript and reads the new time left; the account page's button posts here without it.
import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { EXTEND_RETURN_PATHS } from '../components/patient-idle-warning.tsx';
import { detectLocale } from '../i18n/locale.server.ts';
import { requireCsrf } from '../utils/csrf.server.ts';
import { sessionView } from '../utils/patient-account.server.ts';
import { currentPatient, patientCookie, readPatientToken } from '../utils/patient-auth.server.ts';

export async function loader() {
  // Extending changes state, so it is a POST only.
  throw redirect('/account');
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const field = form.get('returnTo');
  // Only our own pages: never a redirect to somewhere the form named.
  const returnTo = (EXTEND_RETURN_PATHS as readonly unknown[]).includes(field) ? (field as string) : null;
  // A language chosen for this view (?lng=) carries on to the page the patient goes back to.
  const lng = new URL(request.url).searchParams.get('lng');
  const lngQuery = lng === 'en' || lng === 'es' ? `&lng=${lng}` : '';
  const token = readPatientToken(request);
  const active = await currentPatient(request, context);
  const expiresAt = active ? await context.services.patientSessions.extend(active.session.id) : null;
  if (!active || !token || !expiresAt) {
    if (returnTo) return redirect(`/?timed_out=1${lngQuery}`);
    return Response.json({ ended: true }, { status: 401, headers: { 'Cache-Control': 'no-store' } });
  }
  // The cookie lives as long as the session it carries.
  const headers = { 'Set-Cookie': patientCookie(context, token), 'Cache-Control': 'no-store' };
  if (returnTo) return redirect(`${returnTo}?extended=1${lngQuery}`, { headers });
  return Response.json(sessionView(expiresAt, active, detectLocale(request)), { headers });
}
