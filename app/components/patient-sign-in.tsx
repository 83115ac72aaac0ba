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

export function SignInForm({
  clientName,
  error,
  identifier,
}: {
  clientName?: string | null;
  error?: SignInErrorView | null;
  identifier?: string;
}) {
  const { t } = useTranslation();
  const phone = useSupportPhone();
  const busy = useNavigation().state === 'submitting';
  const message = error
    ? error.code === 'tooMany'
      ? t('signIn.tooMany', { minutes: error.minutes, phone })
      : t(`signIn.${error.code}`, { phone })
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
        <input type="hidden" name="intent" value="password" />
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
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? t('signIn.working') : t('signIn.submit')}
        </button>
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
