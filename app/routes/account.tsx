// The patient's own account: where they stand in the move, what we have on file, how we may reach
// them about it (email, text, language), and when their session ends.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useActionData, useLoaderData, useLocation, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { CsrfInput } from '../components/csrf-input.tsx';
import { FormError } from '../components/form-error.tsx';
import { PatientErrorPage, PatientShell, TransitionStanding } from '../components/patient-shell.tsx';
import { detectLocale } from '../i18n/locale.server.ts';
import { requireCsrf } from '../utils/csrf.server.ts';
import {
  localeCookie,
  patientStanding,
  savePreferencesForm,
  sessionView,
  type PreferencesFormProblem,
} from '../utils/patient-account.server.ts';
import { currentPatient } from '../utils/patient-auth.server.ts';
import type { loader as rootLoader } from '../root.tsx';

export const meta: MetaFunction = () => [{ title: 'Your account' }];

// The page shows the patient's details: no cache may keep it.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' });

// Here, not at the root: the root loader (brand, language, help line) still runs when this page fails.
export function ErrorBoundary() {
  return <PatientErrorPage />;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await currentPatient(request, context);
  if (!active) throw redirect('/login');
  if (active.session.welcomePending) throw redirect('/welcome');
  const p = active.patient;
  const locale = detectLocale(request);
  const params = new URL(request.url).searchParams;
  const standing = await patientStanding(context, active, locale);
  return {
    name: [p.givenName, p.familyName].filter(Boolean).join(' ') || null,
    email: p.email,
    phone: p.phone,
    state: p.state,
    preferences: { emailOptIn: p.emailOptIn, smsOptIn: p.smsOptIn, locale: p.locale },
    standing,
    launch: standing.stage === 'ready' ? await context.services.oidc.launch() : null,
    session: sessionView(active.session.expiresAt, active, locale),
    notice: params.has('saved') ? ('saved' as const) : params.has('extended') ? ('extended' as const) : null,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const active = await currentPatient(request, context);
  if (!active) return redirect('/login');
  const saved = await savePreferencesForm(form, context, active, detectLocale(request));
  if (!saved.ok) return data({ problem: saved.reason as PreferencesFormProblem }, { status: 400 });
  // The saved language is this browser's language from the next page on.
  return redirect('/account?saved=1', {
    headers: { 'Set-Cookie': localeCookie(context, saved.preferences.locale) },
  });
}

export default function Account() {
  const { t } = useTranslation();
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const account = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const location = useLocation();
  const phone = root?.brand.supportPhone ?? '';
  const lng = new URLSearchParams(location.search).get('lng');
  const lngQuery = lng === 'en' || lng === 'es' ? `?lng=${lng}` : '';
  const { preferences } = account;
  const noticeText =
    account.notice === 'saved'
      ? t('account.saved')
      : account.notice === 'extended'
        ? t('account.sessionExtended', { time: account.session.endsAt })
        : '';
  return (
    <PatientShell session={account.session}>
      <h1>{t('account.title')}</h1>
      <p className="lead">{t('account.lead')}</p>
      <p className="success" role="status">
        {noticeText}
      </p>

      <section aria-labelledby="standing-heading">
        <h2 id="standing-heading">{t('account.standingHeading')}</h2>
        <TransitionStanding standing={account.standing} launch={account.launch} headingLevel={3} />
      </section>

      <section aria-labelledby="details-heading">
        <h2 id="details-heading">{t('account.detailsHeading')}</h2>
        <dl className="facts">
          <dt>{t('account.name')}</dt>
          <dd>{account.name ?? t('account.none')}</dd>
          <dt>{t('account.email')}</dt>
          <dd>{account.email ?? t('account.none')}</dd>
          <dt>{t('account.phone')}</dt>
          <dd>{account.phone ?? t('account.none')}</dd>
          <dt>{t('account.status')}</dt>
          <dd>{t(`account.statuses.${account.state}`)}</dd>
        </dl>
        <p>{t('account.wrongDetails', { phone })}</p>
      </section>

      <section aria-labelledby="choices-heading">
        <h2 id="choices-heading">{t('account.preferencesHeading')}</h2>
        <FormError message={acted ? t(`account.problems.${acted.problem}`, { phone }) : null} />
        <Form method="post" className="preferences">
          <CsrfInput />
          <fieldset aria-describedby="messages-hint">
            <legend>{t('account.messagesLegend')}</legend>
            <p className="hint" id="messages-hint">
              {t('account.messagesHint')}
            </p>
            {account.email ? (
              <div className="check">
                <input
                  type="checkbox"
                  id="emailOptIn"
                  name="emailOptIn"
                  defaultChecked={preferences.emailOptIn}
                  aria-describedby="email-to"
                />
                <label htmlFor="emailOptIn">{t('account.emailOptIn')}</label>
                <p className="hint" id="email-to">
                  {t('account.emailTo', { email: account.email })}
                </p>
              </div>
            ) : (
              <p>{t('account.noEmail', { phone })}</p>
            )}
            {account.phone ? (
              <div className="check">
                <input
                  type="checkbox"
                  id="smsOptIn"
                  name="smsOptIn"
                  defaultChecked={preferences.smsOptIn}
                  aria-describedby="sms-terms sms-to"
                />
                <label htmlFor="smsOptIn">{t('account.smsOptIn')}</label>
                <p className="hint" id="sms-terms">
                  {t('account.smsTerms')}
                </p>
                <p className="hint" id="sms-to">
                  {t('account.smsTo', { phone: account.phone })}
                </p>
              </div>
            ) : (
              <p>{t('account.noPhone', { phone })}</p>
            )}
          </fieldset>
          <fieldset>
            <legend>{t('account.languageLegend')}</legend>
            <label className="choice" lang="en">
              <input type="radio" name="locale" value="en" defaultChecked={preferences.locale === 'en'} />{' '}
              English
            </label>
            <label className="choice" lang="es">
              <input type="radio" name="locale" value="es" defaultChecked={preferences.locale === 'es'} />{' '}
              Español
            </label>
          </fieldset>
          <button type="submit">{t('account.save')}</button>
        </Form>
      </section>

      <section aria-labelledby="session-heading">
        <h2 id="session-heading">{t('account.sessionHeading')}</h2>
        <p>{t('account.sessionEnds', { time: account.session.endsAt })}</p>
        <p className="hint">{t('account.sessionHint')}</p>
        {/* A plain post: it works without JavaScript and comes back to this page. */}
        <form method="post" action={`/session/extend${lngQuery}`} className="inline-form">
          <CsrfInput />
          <input type="hidden" name="returnTo" value="/account" />
          <button type="submit">{t('session.stay')}</button>
        </form>{' '}
        <Form method="post" action="/logout" reloadDocument className="inline-form">
          <CsrfInput />
          <button type="submit" className="secondary">
            {t('signIn.signOut')}
          </button>
        </Form>
      </section>
    </PatientShell>
  );
}
