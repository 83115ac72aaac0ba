// The OIDC provider's interactions (sign-in, first-sign-in welcome, consent), at exactly the provider's
// `interactions.url`, so the interaction cookie (scoped to this path) comes with every request.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  type AppLoadContext,
} from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { PatientErrorPage, PatientShell } from '../components/patient-shell.tsx';
import {
  ConsentForm,
  ExpiredSignIn,
  SignInStep,
  WelcomeForm,
  type SignInActionData,
  type WelcomeProblem,
} from '../components/patient-sign-in.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import {
  currentPatient,
  answerWelcome,
  signInFailure,
  portalLogin,
  signInWithPasswordForm,
  welcomeView,
  type PortalLogin,
} from '../utils/patient-auth.server.ts';
import { portalSessionSuffices, type InteractionDetails } from '../../identity/oidc/provider.ts';
import { signInHeaders } from '../utils/headers.ts';
import {
  continueWithLegacySession,
  isPasswordlessIntent,
  legacySessionOffer,
  redeemCodeFromForm,
  requestFromForm,
  skipLegacySessionCookie,
} from '../utils/passwordless.server.ts';

export const meta: MetaFunction = () => [{ title: 'Sign in' }];

export const headers = signInHeaders;

// A failed action (an expired form) still shows the brand, the help line and the patient's language.
export function ErrorBoundary() {
  return <PatientErrorPage />;
}

type View =
  | { view: 'expired' }
  | { view: 'login'; clientName: string; legacy: { name: string | null } | null; minutes: number }
  | { view: 'welcome'; email: string | null; phone: string | null; locale: 'en' | 'es' }
  | { view: 'consent'; clientName: string; scopes: string[] };

/**
 * Completes the sign-in step. For a first-party client (the new platform itself) consent is given in
 * the same step, so the browser goes straight back to it.
 */
async function finishLogin(
  context: AppLoadContext,
  details: InteractionDetails,
  login: PortalLogin,
  setCookie?: string,
) {
  const { oidc } = context.services;
  const consent = details.client.firstParty
    ? { consent: { grantId: await oidc.grant(details, login.patientId) } }
    : {};
  const to = await oidc.finish(
    context.node.req,
    context.node.res,
    {
      login: {
        accountId: login.patientId,
        amr: [login.amr],
        ts: Math.floor(login.startedAt.getTime() / 1000),
        remember: true,
      },
      ...consent,
    },
    details,
  );
  return redirect(to, setCookie ? { headers: { 'Set-Cookie': setCookie } } : undefined);
}

async function viewFor(
  context: AppLoadContext,
  details: InteractionDetails,
  request: Request,
): Promise<View | Response> {
  const { oidc } = context.services;
  if (details.prompt.name === 'login') {
    const active = await currentPatient(request, context);
    if (active && portalSessionSuffices(details, portalLogin(active))) {
      if (active.session.welcomePending) return { view: 'welcome', ...welcomeView(active) };
      return finishLogin(context, details, portalLogin(active));
    }
    const offer = await legacySessionOffer(request, context);
    return {
      view: 'login',
      clientName: details.client.name,
      legacy: offer ? { name: offer.givenName } : null,
      minutes: context.services.signInLinks.expiresMinutes,
    };
  }
  if (details.prompt.name === 'consent') {
    if (details.client.firstParty) {
      const grantId = await oidc.grant(details);
      return redirect(
        await oidc.finish(context.node.req, context.node.res, { consent: { grantId } }, details),
      );
    }
    const missing = (details.prompt.details.missingOIDCScope as string[] | undefined) ?? [];
    const scopes = ['openid', ...missing.filter((s) => s !== 'openid')];
    return { view: 'consent', clientName: details.client.name, scopes };
  }
  throw new Error(`unexpected interaction prompt ${details.prompt.name}`);
}

async function interactionFor(context: AppLoadContext, uid: string | undefined) {
  const details = await context.services.oidc.interaction(context.node.req, context.node.res);
  return details && details.uid === uid ? details : null;
}

/**
 * No interaction in this browser. A patient who just signed in here with a link asked for on another
 * device continues to the client that asked (third-party-initiated login), or to their account.
 */
async function elsewhere(request: Request, context: AppLoadContext) {
  const active = await currentPatient(request, context);
  if (!active) return data<View>({ view: 'expired' }, { status: 410 });
  if (active.session.welcomePending) throw redirect('/welcome');
  const clientId = new URL(request.url).searchParams.get('client');
  const launch = clientId ? await context.services.oidc.launch(clientId) : null;
  throw redirect(launch?.url ?? '/account');
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const details = await interactionFor(context, params.uid);
  if (!details) return elsewhere(request, context);
  const view = await viewFor(context, details, request);
  if (view instanceof Response) throw view;
  return data<View>(view);
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const details = await interactionFor(context, params.uid);
  if (!details) return data({ view: 'expired' as const }, { status: 410 });
  const intent = form.get('intent');
  const self = `/interaction/${details.uid}`;

  if (details.prompt.name === 'login' && intent === 'password') {
    const result = await signInWithPasswordForm(form, context);
    if (!result.ok) return signInFailure(result);
    // A first sign-in shows the welcome step (a GET of this page) before continuing.
    if (result.firstSignIn) return redirect(self, { headers: { 'Set-Cookie': result.setCookie } });
    return finishLogin(context, details, result.login, result.setCookie);
  }

  if (details.prompt.name === 'login' && isPasswordlessIntent(intent))
    return requestFromForm(form, context, intent, {
      interactionUid: details.uid,
      clientId: details.client.clientId,
    });

  if (details.prompt.name === 'login' && intent === 'code') {
    const result = await redeemCodeFromForm(form, context);
    if (!result.ok) return result.response;
    if (result.firstSignIn) return redirect(self, { headers: { 'Set-Cookie': result.setCookie } });
    return finishLogin(context, details, result.login, result.setCookie);
  }

  if (details.prompt.name === 'login' && intent === 'legacy-session') {
    const started = await continueWithLegacySession(request, context);
    if (!started) return redirect(self);
    if (started.firstSignIn) return redirect(self, { headers: { 'Set-Cookie': started.setCookie } });
    return finishLogin(context, details, started.login, started.setCookie);
  }

  if (intent === 'not-you')
    return redirect(self, { headers: { 'Set-Cookie': skipLegacySessionCookie(context) } });

  if (details.prompt.name === 'login' && (intent === 'welcome' || intent === 'skip-welcome')) {
    const active = await currentPatient(request, context);
    if (!active) return redirect(self);
    const answered = await answerWelcome(form, context, active);
    if (!answered.ok) return data({ problem: answered.problem }, { status: 400 });
    return finishLogin(context, details, portalLogin(active));
  }

  if (details.prompt.name === 'consent' && intent === 'allow') {
    const grantId = await context.services.oidc.grant(details);
    return redirect(
      await context.services.oidc.finish(
        context.node.req,
        context.node.res,
        { consent: { grantId } },
        details,
      ),
    );
  }
  if (details.prompt.name === 'consent' && intent === 'deny') {
    return redirect(
      await context.services.oidc.finish(
        context.node.req,
        context.node.res,
        {
          error: 'access_denied',
          error_description: 'The patient chose not to share their information.',
        },
        details,
      ),
    );
  }
  // A form from an earlier step (the back button): show the current step.
  return redirect(self);
}

export default function Interaction() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>() as
    ({ view: 'expired' } | SignInActionData | { view?: undefined; problem?: WelcomeProblem }) | undefined;
  const view = acted?.view === 'expired' ? ({ view: 'expired' } as const) : loaded;
  const signInActed = acted && 'problem' in acted ? undefined : (acted as SignInActionData);
  return (
    <PatientShell>
      <div className="card narrow">
        {view.view === 'expired' ? <ExpiredSignIn /> : null}
        {view.view === 'login' ? (
          <SignInStep
            acted={signInActed}
            legacy={view.legacy}
            minutes={view.minutes}
            clientName={view.clientName}
          />
        ) : null}
        {view.view === 'welcome' ? (
          <WelcomeForm
            email={view.email}
            phone={view.phone}
            locale={view.locale}
            problem={acted && 'problem' in acted ? acted.problem : undefined}
          />
        ) : null}
        {view.view === 'consent' ? <ConsentForm clientName={view.clientName} scopes={view.scopes} /> : null}
      </div>
    </PatientShell>
  );
}
