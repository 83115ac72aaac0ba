// The private link to one request, for someone who wrote without signing in: it reached only the
// email or phone they gave. Read our answer, write back. The token in the address is the only key.
import {
  data,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { useActionData, useLoaderData, useRouteLoaderData } from '@remix-run/react';
import { Trans, useTranslation } from 'react-i18next';
import { MAX_MESSAGE_LENGTH } from '../../messaging/support/intake.ts';
import {
  EmergencyNote,
  HelpRequestThread,
  helpRequestDisplay,
  type ReplyOutcome,
  type ReplyProblem,
} from '../components/help-request-thread.tsx';
import { PatientErrorPage, PatientShell, telHref } from '../components/patient-shell.tsx';
import { detectLocale } from '../i18n/locale.server.ts';
import { resources } from '../i18n/resources.ts';
import { requireCsrf } from '../utils/csrf.server.ts';
import type { loader as rootLoader } from '../root.tsx';

export const meta: MetaFunction<typeof loader, { root: typeof rootLoader }> = ({ data: page, matches }) => {
  const locale = matches.find((m) => m.id === 'root')?.data?.locale ?? 'en';
  const words = resources[locale].translation.help;
  return [{ title: page?.request ? words.readTitle : words.notFoundTitle }];
};

// The address holds the key to the request: no cache keeps the page. The site-wide Referrer-Policy
// (same-origin) already keeps other sites from learning the address; no-referrer here would make
// browsers send "Origin: null" on the reply form, which the cross-site check rightly refuses.
export const headers: HeadersFunction = () => ({
  'Cache-Control': 'no-store',
});

export function ErrorBoundary() {
  return <PatientErrorPage />;
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const view = await context.services.support.requestByReadToken(params.token ?? '');
  if (!view) return data({ request: null, maxLength: MAX_MESSAGE_LENGTH }, { status: 404 });
  const display = helpRequestDisplay(view, detectLocale(request), context.services.config.support.timeZone);
  return data({ request: display, maxLength: MAX_MESSAGE_LENGTH });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const token = params.token ?? '';
  const support = context.services.support;
  const view = await support.requestByReadToken(token);
  const message = form.get('message');
  const text = typeof message === 'string' ? message : '';
  const fail = (problem: ReplyProblem, status: number) =>
    data<{ outcome: ReplyOutcome }>(
      { outcome: { number: view?.number ?? 0, problem, safetyGuidance: null } },
      { status },
    );
  if (!view) return fail('not_found', 404);
  if (text.length > MAX_MESSAGE_LENGTH) return fail('too_long', 400);
  const replied = await support.patientReply({
    patientId: null,
    readToken: token,
    number: view.number,
    message: text,
  });
  if (!replied.ok) return fail(replied.reason, replied.reason === 'not_found' ? 404 : 400);
  return data<{ outcome: ReplyOutcome }>({
    outcome: { number: view.number, problem: null, safetyGuidance: replied.safetyGuidance },
  });
}

export default function ReadHelpRequest() {
  const { t } = useTranslation();
  const page = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const phone = root?.brand.supportPhone ?? '';
  if (!page.request)
    return (
      <PatientShell>
        <EmergencyNote />
        <div className="card narrow">
          <h1>{t('help.notFoundTitle')}</h1>
          <p>{t('help.notFoundBody')}</p>
          <p>
            {phone ? (
              <Trans
                i18nKey="help.notFoundCall"
                values={{ phone }}
                components={{ tel: <a href={telHref(phone)} /> }}
              />
            ) : (
              t('help.notFoundCallNoPhone')
            )}
          </p>
          <p>
            <a className="button" href="/help">
              {t('help.newRequest')}
            </a>
          </p>
        </div>
      </PatientShell>
    );
  return (
    <PatientShell>
      <EmergencyNote />
      <p className="hint">{t('help.readLead')}</p>
      <HelpRequestThread
        request={page.request}
        headingLevel={1}
        outcome={acted?.outcome ?? null}
        maxLength={page.maxLength}
      />
      <p>
        <a href="/help">{t('help.newRequest')}</a>
      </p>
    </PatientShell>
  );
}
