// The patient sign-in pieces shared by /login and the OIDC interaction pages. Every form is a full
// document post: it works without JavaScript, and the interaction cookie travels with it.
import { Form, Link, useNavigation, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import type { loader as rootLoader } from '../root.tsx';
import { CsrfInput } from './csrf-input.tsx';
import { FormError } from './form-error.tsx';

export type SignInErrorView =
  | { code: 'missingIdentifier' | 'missingPassword' | 'invalid' | 'locked' | 'busy' }
  | { code: 'tooMany'; minutes: number };

function useSupportPhone() {
  return useRouteLoaderData<typeof rootLoader>('root')?.brand.supportPhone ?? '';
}

export type PasswordlessErrorView =
  { error: 'invalidIdentifier' } | { error: 'tooManyRequests'; minutes: number };

export function SignInForm({
  clientName,
  error,
  requestError,
  identifier,
}: {
  clientName?: string | null;
  error?: SignInErrorView | null;
  requestError?: PasswordlessErrorView | null;
  identifier?: string;
}) {
  const { t } = useTranslation();
  const phone = useSupportPhone();
  const busy = useNavigation().state === 'submitting';
  const message = error
    ? error.code === 'tooMany'
      ? t('signIn.tooMany', { minutes: error.minutes, phone })
      : t(`signIn.${error.code}`, { phone })
    : requestError
      ? requestError.error === 'tooManyRequests'
        ? t('passwordless.tooManyRequests', { minutes: requestError.minutes, phone })
        : t('passwordless.invalidIdentifier')
      : null;
  return (
    <>
      <h1>
        {t('signIn.title')}
        {clientName ? (
          <span className="subtitle"> {t('signIn.forClient', { client: clientName })}</span>
        ) : null}
      </h1>
      <p className="lead">{t('signIn.lead')}</p>
      <FormError message={message} />
      <Form method="post" reloadDocument className="stack" aria-describedby="sign-in-help">
        <CsrfInput />
        <label htmlFor="identifier">{t('signIn.identifier')}</label>
        <p className="hint" id="identifier-hint">
          {t('signIn.identifierHint')}
        </p>
        <input
          id="identifier"
          name="identifier"
          type="text"
          inputMode="email"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          defaultValue={identifier}
          aria-describedby="identifier-hint"
          aria-invalid={error?.code === 'missingIdentifier' || undefined}
        />
        <label htmlFor="password">{t('signIn.password')}</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          aria-invalid={error?.code === 'missingPassword' || undefined}
        />
        {/* First in the form, so pressing Enter in a field signs in with the password. */}
        <button type="submit" name="intent" value="password" className="button primary" disabled={busy}>
          {busy ? t('signIn.working') : t('signIn.submit')}
        </button>
        <fieldset className="passwordless">
          <legend>{t('passwordless.heading')}</legend>
          <p className="hint">{t('passwordless.hint')}</p>
          <button type="submit" name="intent" value="email-link" className="button secondary" formNoValidate>
            {t('passwordless.emailLink')}
          </button>
          <button type="submit" name="intent" value="sms-code" className="button secondary" formNoValidate>
            {t('passwordless.smsCode')}
          </button>
        </fieldset>
      </Form>
      <p id="sign-in-help" className="help">
        {t('signIn.sharedHelp', { phone })}
      </p>
    </>
  );
}

export type WelcomeProblem = 'tooShort' | 'tooLong' | 'common' | 'mismatch';

export function WelcomeForm({
  email,
  phone: contactPhone,
  locale,
  problem,
}: {
  email: string | null;
  phone: string | null;
  locale: 'en' | 'es';
  problem?: WelcomeProblem | null;
}) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('welcome.title')}</h1>
      <p className="lead">{t('welcome.lead')}</p>
      <FormError message={problem ? t(`welcome.${problem}`) : null} />
      <Form method="post" reloadDocument className="stack">
        <CsrfInput />
        <fieldset>
          <legend>{t('welcome.contactHeading')}</legend>
          <dl className="facts">
            <dt>{t('welcome.email')}</dt>
            <dd>{email ?? t('welcome.none')}</dd>
            <dt>{t('welcome.phone')}</dt>
            <dd>{contactPhone ?? t('welcome.none')}</dd>
          </dl>
          <label className="choice">
            <input type="radio" name="contactCorrect" value="yes" /> {t('welcome.contactYes')}
          </label>
          <label className="choice">
            <input type="radio" name="contactCorrect" value="no" /> {t('welcome.contactNo')}
          </label>
        </fieldset>
        <fieldset>
          <legend>{t('welcome.passwordHeading')}</legend>
          <p className="hint" id="password-hint">
            {t('welcome.passwordHint')}
          </p>
          <label htmlFor="newPassword">{t('welcome.newPassword')}</label>
          <input
            id="newPassword"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            minLength={8}
            aria-describedby="password-hint"
            aria-invalid={problem ? true : undefined}
          />
          <label htmlFor="confirmPassword">{t('welcome.confirmPassword')}</label>
          <input id="confirmPassword" name="confirmPassword" type="password" autoComplete="new-password" />
        </fieldset>
        <fieldset>
          <legend>{t('welcome.languageHeading')}</legend>
          <label className="choice">
            <input type="radio" name="locale" value="en" defaultChecked={locale === 'en'} /> English
          </label>
          <label className="choice" lang="es">
            <input type="radio" name="locale" value="es" defaultChecked={locale === 'es'} /> Español
          </label>
        </fieldset>
        <button type="submit" name="intent" value="welcome" className="button primary">
          {t('welcome.save')}
        </button>
        <button type="submit" name="intent" value="skip-welcome" className="button secondary" formNoValidate>
          {t('welcome.skip')}
        </button>
      </Form>
    </>
  );
}

export function ConsentForm({ clientName, scopes }: { clientName: string; scopes: string[] }) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('consent.title', { client: clientName })}</h1>
      <p className="lead">{t('consent.lead', { client: clientName })}</p>
      <ul className="scopes">
        {scopes.map((scope) => (
          <li key={scope}>{t(`consent.scopes.${scope}`, { client: clientName, defaultValue: scope })}</li>
        ))}
      </ul>
      <Form method="post" reloadDocument className="stack">
        <CsrfInput />
        <button type="submit" name="intent" value="allow" className="button primary">
          {t('consent.allow')}
        </button>
        <button type="submit" name="intent" value="deny" className="button secondary">
          {t('consent.deny')}
        </button>
      </Form>
    </>
  );
}

export function ExpiredSignIn() {
  const { t } = useTranslation();
  return (
    <>
      <h1>{t('signIn.expiredTitle')}</h1>
      <p className="lead">{t('signIn.expiredBody')}</p>
      <p>
        <Link to="/login" className="button primary">
          {t('signIn.expiredStart')}
        </Link>
      </p>
    </>
  );
}

/** After "Email me a link" / "Text me a code": where to look, and where to type the code. */
export function CodeForm({
  channel,
  identifier,
  error,
  minutes,
}: {
  channel: 'email' | 'sms';
  identifier: string;
  error?: 'missing' | 'invalid' | null;
  minutes: number;
}) {
  const { t } = useTranslation();
  return (
    <>
      <h1>{channel === 'email' ? t('code.titleEmail') : t('code.titleSms')}</h1>
      <p className="lead">
        {channel === 'email'
          ? t('code.leadEmail', { identifier, minutes })
          : t('code.leadSms', { identifier, minutes })}
      </p>
      <FormError message={error ? t(`code.${error}`) : null} />
      <Form method="post" reloadDocument className="stack">
        <CsrfInput />
        <input type="hidden" name="identifier" value={identifier} />
        <input type="hidden" name="channel" value={channel} />
        <label htmlFor="code">{t('code.label')}</label>
        <p className="hint" id="code-hint">
          {t('code.hint')}
        </p>
        <input
          id="code"
          name="code"
          type="text"
          inputMode="text"
          autoComplete="one-time-code"
          autoCapitalize="characters"
          spellCheck={false}
          maxLength={12}
          required
          className="code-input"
          aria-describedby="code-hint"
          aria-invalid={error ? true : undefined}
        />
        <button type="submit" name="intent" value="code" className="button primary">
          {t('code.submit')}
        </button>
      </Form>
      <p className="hint">{t('code.notArrived')}</p>
      <Form method="post" reloadDocument className="inline-actions">
        <CsrfInput />
        <input type="hidden" name="identifier" value={identifier} />
        <button
          type="submit"
          name="intent"
          value={channel === 'email' ? 'email-link' : 'sms-code'}
          className="button secondary"
        >
          {t('code.sendAgain')}
        </button>
      </Form>
      <p>
        <Link to="." reloadDocument>
          {t('code.usePassword')}
        </Link>
      </p>
    </>
  );
}

export type LinkPageView =
  | { view: 'confirm' }
  | { view: 'expired' | 'used'; canResend: boolean }
  | { view: 'invalid' | 'ended' | 'unavailable' }
  | { view: 'sent'; minutes: number }
  | { view: 'tooMany'; minutes: number };

/** A sign-in link's page: a confirm button (GET changes nothing), or what went wrong and what to do. */
export function LinkPage({ view, token }: { view: LinkPageView; token?: string }) {
  const { t } = useTranslation();
  const phone = useSupportPhone();
  const tokenField = token ? <input type="hidden" name="token" value={token} /> : null;
  switch (view.view) {
    case 'confirm':
      return (
        <>
          <h1>{t('link.title')}</h1>
          <p className="lead">{t('link.lead')}</p>
          <Form method="post" reloadDocument className="stack">
            <CsrfInput />
            {tokenField}
            <button type="submit" name="intent" value="confirm" className="button primary">
              {t('link.confirm')}
            </button>
          </Form>
        </>
      );
    case 'sent':
      return (
        <>
          <h1>{t('link.sentTitle')}</h1>
          <p className="lead" role="status">
            {t('link.sentBody', { minutes: view.minutes })}
          </p>
        </>
      );
    case 'tooMany':
      return (
        <>
          <h1>{t('link.invalidTitle')}</h1>
          <FormError message={t('passwordless.tooManyRequests', { minutes: view.minutes, phone })} />
        </>
      );
    case 'expired':
    case 'used':
      return (
        <>
          <h1>{t(`link.${view.view}Title`)}</h1>
          <p className="lead">{t(`link.${view.view}Body`, { phone })}</p>
          {view.canResend ? (
            <Form method="post" reloadDocument className="stack">
              <CsrfInput />
              {tokenField}
              <button type="submit" name="intent" value="resend" className="button primary">
                {t('link.sendNew')}
              </button>
            </Form>
          ) : (
            <p>
              <Link to="/login" className="button primary">
                {t('link.getNew')}
              </Link>
            </p>
          )}
        </>
      );
    default:
      return (
        <>
          <h1>{t(`link.${view.view}Title`)}</h1>
          <p className="lead">{t(`link.${view.view}Body`, { phone })}</p>
          <p>
            <Link to="/login" className="button primary">
              {t('link.getNew')}
            </Link>
          </p>
        </>
      );
  }
}

/** The legacy platform's session in this browser: who it is, and a way out if it is not them. */
export function LegacySessionOffer({ name }: { name: string | null }) {
  const { t } = useTranslation();
  const who = name ?? t('legacySession.someone');
  return (
    <>
      <h1>{t('legacySession.title')}</h1>
      <p className="lead">{t('legacySession.lead', { name: who })}</p>
      <Form method="post" reloadDocument className="stack">
        <CsrfInput />
        <button type="submit" name="intent" value="legacy-session" className="button primary">
          {t('legacySession.continue', { name: who })}
        </button>
        <button type="submit" name="intent" value="not-you" className="text-link">
          {t('legacySession.notYou')}
        </button>
      </Form>
    </>
  );
}

/** What a sign-in page's last post answered: a passwordless step, or a failed password. */
export type PasswordlessView =
  | { view: 'code'; channel: 'email' | 'sms'; identifier: string; codeError?: 'missing' | 'invalid' }
  | { view: 'request-error'; identifier: string; error: 'invalidIdentifier' }
  | { view: 'request-error'; identifier: string; error: 'tooManyRequests'; minutes: number };

export type SignInActionData =
  PasswordlessView | { view?: undefined; error?: SignInErrorView; identifier?: string } | undefined;

/** The step a sign-in page is on, from what the last post answered. */
export function SignInStep({
  acted,
  legacy,
  minutes,
  clientName,
}: {
  acted: SignInActionData;
  legacy: { name: string | null } | null;
  minutes: number;
  clientName?: string;
}) {
  if (acted?.view === 'code')
    return (
      <CodeForm
        channel={acted.channel}
        identifier={acted.identifier}
        error={acted.codeError}
        minutes={minutes}
      />
    );
  if (!acted && legacy) return <LegacySessionOffer name={legacy.name} />;
  const requestError: PasswordlessErrorView | null =
    acted?.view === 'request-error'
      ? acted.error === 'tooManyRequests'
        ? { error: 'tooManyRequests', minutes: acted.minutes }
        : { error: 'invalidIdentifier' }
      : null;
  return (
    <SignInForm
      clientName={clientName}
      error={acted?.view ? null : acted?.error}
      requestError={requestError}
      identifier={acted?.identifier}
    />
  );
}
