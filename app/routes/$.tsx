// Any path no other route claims: the legacy platform's printed addresses. First the legacy magic
// links (LEGACY_LINK_PATHS: GET shows a confirm button, the POST signs in), then the URL rules, which
// send each patient where their cohort is today; anything else gets a page that helps, never a bare 404.
import {
  data,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
  type AppLoadContext,
} from '@remix-run/node';
import { useActionData, useLoaderData, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { NotFoundHelp } from '../components/not-found-help.tsx';
import { PatientErrorPage, PatientShell } from '../components/patient-shell.tsx';
import { LinkPage, type LinkPageView } from '../components/patient-sign-in.tsx';
import type { loader as rootLoader } from '../root.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { linkStatus, resendFor, startSession } from '../utils/passwordless.server.ts';
import { afterSignIn, resumeCookie, routeLegacyPath } from '../utils/url-routing.server.ts';
import type { LinkVerdict } from '../../identity/legacy-bridge/legacy-links.ts';

export const meta: MetaFunction<typeof loader> = ({ data: view }) => [
  {
    title:
      view?.page === 'link'
        ? 'Sign in'
        : view?.page === 'sign-in-first'
          ? 'Sign in to see this page'
          : view?.page === 'loop'
            ? 'We could not open this page'
            : 'Page not found',
  },
  { name: 'robots', content: 'noindex' },
];

// What a visitor sees here depends on who they are: never cached, and never shared between people.
export const headers: HeadersFunction = ({ loaderHeaders, actionHeaders }) => {
  const headers = new Headers({ 'Cache-Control': 'no-store', Vary: 'Cookie' });
  const retryAfter = actionHeaders.get('Retry-After') ?? loaderHeaders.get('Retry-After');
  if (retryAfter) headers.set('Retry-After', retryAfter);
  return headers;
};

export function ErrorBoundary() {
  return <PatientErrorPage />;
}

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

type Page =
  | { page: 'link'; view: LinkPageView; token: string }
  | { page: 'sign-in-first' }
  | { page: 'loop' }
  | { page: 'not-found' };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = legacyToken(request, context);
  if (token !== null) {
    const view = viewOf(await context.services.legacyLinks!.check(token));
    // Always 200: a loader's error status would also override what a POST answered on this page.
    return data<Page>({ page: 'link', view, token });
  }
  const decision = await routeLegacyPath(request, context);
  switch (decision.kind) {
    case 'redirect': {
      const headers = new Headers({ Location: decision.location, 'Cache-Control': decision.cacheControl });
      if (decision.vary) headers.set('Vary', decision.vary);
      throw new Response(null, { status: decision.status, headers });
    }
    case 'sign_in_first':
      // The page is for this patient alone: they sign in, then come back to it.
      return data<Page>(
        { page: 'sign-in-first' },
        { headers: { 'Set-Cookie': resumeCookie(context, decision.resumeTo) } },
      );
    case 'loop':
      return data<Page>({ page: 'loop' }, { status: 508 });
    case 'serve':
    case 'unmapped':
      return data<Page>({ page: 'not-found' }, { status: 404 });
  }
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
  return afterSignIn(request, context, firstSignIn ? '/welcome' : '/account', [started.setCookie]);
}

function RoutingPage({ which }: { which: 'sign-in-first' | 'loop' }) {
  const { t } = useTranslation();
  const phone = useRouteLoaderData<typeof rootLoader>('root')?.brand.supportPhone ?? '';
  return which === 'sign-in-first' ? (
    <div className="card narrow">
      <h1>{t('routing.signInFirstTitle')}</h1>
      <p className="lead">{t('routing.signInFirstBody')}</p>
      <p>
        <a className="button primary" href="/login">
          {t('notFound.signIn')}
        </a>
      </p>
    </div>
  ) : (
    <div className="card narrow">
      <h1>{t('routing.loopTitle')}</h1>
      <p className="lead">{t('routing.loopBody', { phone })}</p>
      <p>
        <a className="button" href="/">
          {t('routing.loopHome')}
        </a>
      </p>
    </div>
  );
}

export default function CatchAll() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  if (loaded.page === 'link')
    return (
      <PatientShell>
        <div className="card narrow">
          <LinkPage view={acted ?? loaded.view} token={loaded.token} />
        </div>
      </PatientShell>
    );
  return (
    <PatientShell>
      {loaded.page === 'not-found' ? <NotFoundHelp /> : <RoutingPage which={loaded.page} />}
    </PatientShell>
  );
}
