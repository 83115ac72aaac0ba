// Any path no other route claims. The legacy platform's magic links arrive here, on the paths they
// were printed with (LEGACY_LINK_PATHS): GET shows a confirm button, the POST signs in. Legacy URL
// rules will also run here; anything else is a friendly not-found page.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  type AppLoadContext,
} from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { PatientShell } from '../components/patient-shell.tsx';
import { LinkPage, type LinkPageView } from '../components/patient-sign-in.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { linkStatus, resendFor, startSession } from '../utils/passwordless.server.ts';
import { signInHeaders } from '../utils/headers.ts';
import type { LinkVerdict } from '../../identity/legacy-bridge/legacy-links.ts';

export const meta: MetaFunction = () => [{ title: 'Sign in' }, { name: 'robots', content: 'noindex' }];

export const headers = signInHeaders;

function legacyToken(request: Request, context: AppLoadContext): string | null {
  const url = new URL(request.url);
  return context.services.legacyLinks?.matchPath(url.pathname, url.searchParams) ?? null;
}

function viewOf(verdict: LinkVerdict): LinkPageView {
  if (verdict.ok) return { view: 'confirm' };
  switch (verdict.reason) {
    case 'expired':
    case 'used':
      return { view: verdict.reason, canResend: Boolean(verdict.patientId) };
    case 'ended':
      return { view: 'ended' };
    case 'locked':
      return { view: 'unavailable' };
    case 'unavailable':
    case 'invalid':
    case 'unknown_account':
      return { view: 'invalid' };
  }
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = legacyToken(request, context);
  if (token === null) throw new Response('Not found', { status: 404 });
  const view = viewOf(await context.services.legacyLinks!.check(token));
  // Always 200: a loader's error status would also override what a POST answered on this page.
  return data({ view, token });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const links = context.services.legacyLinks;
  const field = form.get('token');
  const token = typeof field === 'string' && field ? field : legacyToken(request, context);
  if (!links || !token) throw new Response('Not found', { status: 404 });
  if (form.get('intent') === 'resend') {
    const verdict = await links.check(token);
    return resendFor(context, verdict.ok ? undefined : verdict.patientId);
  }
  const verdict = await links.redeem(token);
  if (!verdict.ok) {
    const view = viewOf(verdict);
    return data(view, { status: linkStatus(view) });
  }
  const { firstSignIn } = await context.services.recordSignIn({
    patientId: verdict.patientId,
    amr: 'legacy_link',
  });
  context.services.metrics.passwordlessEvents.inc({ event: 'legacy_link_redeemed' });
  const started = await startSession(context, verdict.patientId, 'legacy_link', firstSignIn);
  return redirect(firstSignIn ? '/welcome' : '/account', { headers: { 'Set-Cookie': started.setCookie } });
}

export default function CatchAll() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  return (
    <PatientShell>
      <div className="card narrow">
        <LinkPage view={acted ?? loaded.view} token={loaded.token} />
      </div>
    </PatientShell>
  );
}
