// The unsubscribe link of every wave email (List-Unsubscribe). GET only asks (mail scanners open every
// link, and must not unsubscribe anyone); a person's form POST carries the CSRF token; a mail
// provider's RFC 8058 one-click POST (`List-Unsubscribe=One-Click`, no cookies, no page) is
// authenticated by the token in the URL, which only the patient's mailbox has. Either POST is answered
// with the confirmation page (a provider reads only its 200).
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type AppLoadContext,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useActionData, useLoaderData, useLocation, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { CsrfInput } from '../components/csrf-input.tsx';
import { PatientErrorPage, PatientShell } from '../components/patient-shell.tsx';
import { detectLocale } from '../i18n/locale.server.ts';
import { resources } from '../i18n/resources.ts';
import { requireCsrf } from '../utils/csrf.server.ts';
import type { loader as rootLoader } from '../root.tsx';

// The title in the page's language (the loader knows it; meta cannot translate).
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.title ?? resources.en.translation.unsubscribe.pageTitle },
  { name: 'robots', content: 'noindex' },
];

// The page names the patient's (masked) address, and answers differ before and after: keep no copy.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' });

export function ErrorBoundary() {
  return <PatientErrorPage />;
}

const ONE_CLICK = 'List-Unsubscribe=One-Click';

type UnsubscribePageView =
  { view: 'confirm' | 'done'; maskedAddress: string } | { view: 'invalid'; maskedAddress?: undefined };

// Requests whose POST this route has answered: the page then renders as it is, never redirected.
const posted = new WeakSet<AppLoadContext>();

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const info = await context.services.messageWebhooks.unsubscribeInfo(params.token ?? '');
  const title = resources[detectLocale(request)].translation.unsubscribe.pageTitle;
  if (!info)
    return data<UnsubscribePageView & { title: string }>({ view: 'invalid', title }, { status: 404 });
  // The patient's own language, unless they chose one for this view (?lng=, the language switch). Only
  // on a GET: a mail provider's one-click POST must get its 200, not a redirect.
  const url = new URL(request.url);
  if (!posted.has(context) && !url.searchParams.has('lng') && detectLocale(request) !== info.locale) {
    url.searchParams.set('lng', info.locale);
    throw redirect(`${url.pathname}${url.search}`, { headers: { 'Cache-Control': 'no-store' } });
  }
  return data<UnsubscribePageView & { title: string }>({
    view: info.unsubscribed ? 'done' : 'confirm',
    maskedAddress: info.maskedAddress,
    title,
  });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  posted.add(context);
  const { messageWebhooks } = context.services;
  const token = params.token ?? '';
  const raw = await request.clone().text();
  const form = await request.formData().catch(() => null);
  const oneClick =
    raw.trim() === ONE_CLICK ||
    (form !== null && [...form.keys()].length === 1 && form.get('List-Unsubscribe') === 'One-Click');
  // RFC 8058 one-click: the token in the URL is the authentication; a person's form needs its CSRF token.
  if (!oneClick) requireCsrf(request, form ?? new FormData(), context);
  const done = await messageWebhooks.unsubscribe(token, oneClick ? 'one_click' : 'page');
  // A document route's answer is always the page (Remix renders it around what the action returns):
  // a mail provider reads only the status, a person reads the confirmation.
  if (!done) return data<UnsubscribePageView>({ view: 'invalid' }, { status: 404 });
  return data<UnsubscribePageView>({ view: 'done', maskedAddress: done.maskedAddress });
}

export default function Unsubscribe() {
  const { t } = useTranslation();
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const location = useLocation();
  const page = acted ?? loaded;
  const phone = root?.brand.supportPhone ?? '';
  return (
    <PatientShell>
      <div className="card narrow">
        {page.view === 'invalid' ? (
          <>
            <h1>{t('unsubscribe.invalidTitle')}</h1>
            <p>{phone ? t('unsubscribe.invalidBody', { phone }) : t('unsubscribe.invalidBodyNoPhone')}</p>
            <p>
              <a href="/">{t('notFound.home')}</a>
            </p>
          </>
        ) : page.view === 'done' ? (
          <>
            <h1>{t('unsubscribe.doneTitle')}</h1>
            <p role="status">{t('unsubscribe.doneBody', { address: page.maskedAddress })}</p>
            <p>{t('unsubscribe.stillCome')}</p>
            {phone ? <p>{t('unsubscribe.changeMind', { phone })}</p> : null}
            <p>
              <a href="/">{t('notFound.home')}</a>
            </p>
          </>
        ) : (
          <>
            <h1>{t('unsubscribe.question', { address: page.maskedAddress })}</h1>
            <p className="lead">{t('unsubscribe.lead')}</p>
            <Form method="post" action={`${location.pathname}${location.search}`}>
              <CsrfInput />
              <button type="submit">{t('unsubscribe.confirm')}</button>
            </Form>
            <p className="hint">{t('unsubscribe.stillCome')}</p>
            <p>
              <a href="/">{t('unsubscribe.keep')}</a>
            </p>
          </>
        )}
      </div>
    </PatientShell>
  );
}
