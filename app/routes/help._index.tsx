// The help page: ask us something (signed in or not), and, signed in, read and answer your requests.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { z } from 'zod';
import type { Contact } from '../../messaging/support/intake.ts';
import { MAX_MESSAGE_LENGTH } from '../../messaging/support/intake.ts';
import { ticketSubtypes } from '../../messaging/support/routing.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import {
  EmergencyNote,
  HelpRequestThread,
  helpRequestDisplay,
  SafetyGuidance,
  type ReplyOutcome,
  type ReplyProblem,
} from '../components/help-request-thread.tsx';
import { PatientErrorPage, PatientShell } from '../components/patient-shell.tsx';
import { detectLocale } from '../i18n/locale.server.ts';
import { resources } from '../i18n/resources.ts';
import { requireCsrf } from '../utils/csrf.server.ts';
import { sessionView } from '../utils/patient-account.server.ts';
import { currentPatient } from '../utils/patient-auth.server.ts';
import type { loader as rootLoader } from '../root.tsx';

const categories = ['sign_in', 'refill', 'billing', 'appointment', 'other'] as const;
type Category = (typeof categories)[number];

export const meta: MetaFunction<typeof loader, { root: typeof rootLoader }> = ({ matches }) => {
  const locale = matches.find((m) => m.id === 'root')?.data?.locale ?? 'en';
  return [{ title: resources[locale].translation.help.title }];
};

// Signed in, the page shows the patient's requests: no cache may keep it.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' });

export function ErrorBoundary() {
  return <PatientErrorPage />;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await currentPatient(request, context);
  const locale = detectLocale(request);
  const requests = active ? await context.services.support.patientRequests(active.patient.id) : [];
  const timeZone = active?.patient.timeZone ?? context.services.config.support.timeZone;
  return {
    signedIn: Boolean(active),
    session: active ? sessionView(active.session.expiresAt, active, locale) : null,
    subtypes: ticketSubtypes,
    maxLength: MAX_MESSAGE_LENGTH,
    requests: requests.map((r) => helpRequestDisplay(r, locale, timeZone)),
  };
}

const helpForm = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('request'),
    category: z.enum(categories).optional().catch(undefined),
    subtype: z
      .string()
      .max(64)
      .optional()
      .transform((s) => s || null),
    message: z.string().default(''),
    contact: z.string().max(320).default(''),
  }),
  z.object({
    intent: z.literal('reply'),
    number: z.coerce.number().int().positive().catch(0),
    message: z.string().default(''),
  }),
]);

type RequestField = 'category' | 'subtype' | 'message' | 'contact';
type RequestProblem =
  'category' | 'bad_subtype' | 'empty_message' | 'too_long' | 'no_contact' | 'bad_contact';

type HelpAction =
  | {
      intent: 'request';
      errors: Partial<Record<RequestField, RequestProblem>>;
      values: { category: Category | null; subtype: string | null; message: string; contact: string };
    }
  | {
      intent: 'sent';
      number: number;
      safetyGuidance: string | null;
      /** Where the private read link went, for someone not signed in. */
      sentTo: 'email' | 'phone' | null;
    }
  | { intent: 'reply'; outcome: ReplyOutcome };

/** The one field for someone not signed in: an email address, or a phone number in any usual form. */
function readContact(value: string, region: CountryCode): Contact | null {
  const v = value.trim();
  if (v.includes('@'))
    return v.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? { email: v.toLowerCase() } : null;
  const phone = parsePhoneNumberFromString(v, region);
  return phone?.isValid() ? { phone: phone.number } : null;
}

function entry(form: FormData, name: string): string | undefined {
  const v = form.get(name);
  return typeof v === 'string' ? v : undefined;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const active = await currentPatient(request, context);
  const locale = detectLocale(request);
  const support = context.services.support;
  const parsed = helpForm.safeParse({
    intent: entry(form, 'intent') ?? 'request',
    category: entry(form, 'category'),
    subtype: entry(form, 'subtype'),
    message: entry(form, 'message'),
    contact: entry(form, 'contact'),
    number: entry(form, 'number'),
  });
  if (!parsed.success) throw data('This form could not be read.', { status: 400 });
  const input = parsed.data;

  if (input.intent === 'reply') {
    const fail = (problem: ReplyProblem) =>
      data<HelpAction>(
        { intent: 'reply', outcome: { number: input.number, problem, safetyGuidance: null } },
        { status: problem === 'not_found' ? 404 : 400 },
      );
    if (input.message.length > MAX_MESSAGE_LENGTH) return fail('too_long');
    // The session ended while the patient was writing: their requests are there after signing in.
    if (!active) return redirect('/login');
    const replied = await support.patientReply({
      patientId: active.patient.id,
      number: input.number,
      message: input.message,
    });
    if (!replied.ok) return fail(replied.reason);
    return data<HelpAction>({
      intent: 'reply',
      outcome: { number: input.number, problem: null, safetyGuidance: replied.safetyGuidance },
    });
  }

  const errors: Partial<Record<RequestField, RequestProblem>> = {};
  const category = input.category ?? null;
  if (!category) errors.category = 'category';
  else if (input.subtype && !ticketSubtypes[category].includes(input.subtype)) errors.subtype = 'bad_subtype';
  if (!input.message.trim()) errors.message = 'empty_message';
  else if (input.message.length > MAX_MESSAGE_LENGTH) errors.message = 'too_long';
  let contact: Contact | null = null;
  if (!active) {
    if (!input.contact.trim()) errors.contact = 'no_contact';
    else {
      contact = readContact(input.contact, context.services.config.phoneDefaultRegion as CountryCode);
      if (!contact) errors.contact = 'bad_contact';
    }
  }
  const refuse = () =>
    data<HelpAction>(
      {
        intent: 'request',
        errors,
        values: { category, subtype: input.subtype, message: input.message, contact: input.contact },
      },
      { status: 400 },
    );
  if (!category || Object.keys(errors).length > 0) return refuse();

  const sent = await support.submitHelpRequest({
    patientId: active?.patient.id ?? null,
    contact,
    category,
    subtype: input.subtype,
    message: input.message,
    locale,
  });
  if (!sent.ok) {
    switch (sent.reason) {
      case 'empty_message':
        errors.message = 'empty_message';
        break;
      case 'no_contact':
        errors.contact = 'no_contact';
        break;
      case 'bad_subtype':
        errors.subtype = 'bad_subtype';
        break;
    }
    return refuse();
  }
  return data<HelpAction>({
    intent: 'sent',
    number: sent.number,
    safetyGuidance: sent.safetyGuidance,
    sentTo: active ? null : contact?.email ? 'email' : 'phone',
  });
}

export default function Help() {
  const { t } = useTranslation();
  const page = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>() as HelpAction | undefined;
  const sent = acted?.intent === 'sent' ? acted : null;
  const refused = acted?.intent === 'request' ? acted : null;
  const reply = acted?.intent === 'reply' ? acted.outcome : null;
  return (
    <PatientShell session={page.session}>
      <EmergencyNote />
      <h1>{t('help.title')}</h1>
      {sent ? (
        <>
          <SafetyGuidance text={sent.safetyGuidance} />
          <section className="notice" aria-labelledby="sent-heading">
            <h2 id="sent-heading">{t('help.sentHeading')}</h2>
            <p role="status">
              <strong>{t('help.sentNumber', { number: sent.number })}</strong>
            </p>
            <p>
              {sent.sentTo === 'email'
                ? t('help.sentEmail')
                : sent.sentTo === 'phone'
                  ? t('help.sentPhone')
                  : t('help.sentSignedIn')}
            </p>
            <p>
              <a href="/help">{t('help.another')}</a>
            </p>
          </section>
        </>
      ) : (
        <>
          <p className="lead">{t('help.lead')}</p>
          <RequestForm
            signedIn={page.signedIn}
            subtypes={page.subtypes}
            maxLength={page.maxLength}
            errors={refused?.errors ?? {}}
            values={refused?.values ?? null}
          />
        </>
      )}
      {page.signedIn ? (
        <section aria-labelledby="requests-heading">
          <h2 id="requests-heading">{t('help.yourRequests')}</h2>
          {page.requests.length === 0 ? <p>{t('help.noRequests')}</p> : null}
          {page.requests.map((r) => (
            <HelpRequestThread
              key={r.number}
              request={r}
              headingLevel={3}
              outcome={reply}
              maxLength={page.maxLength}
            />
          ))}
        </section>
      ) : null}
    </PatientShell>
  );
}

function RequestForm({
  signedIn,
  subtypes,
  maxLength,
  errors,
  values,
}: {
  signedIn: boolean;
  subtypes: Record<Category, readonly string[]>;
  maxLength: number;
  errors: Partial<Record<RequestField, RequestProblem>>;
  values: { category: Category | null; subtype: string | null; message: string; contact: string } | null;
}) {
  const { t } = useTranslation();
  // Picking a topic narrows the second list to its own choices; without JavaScript it lists them all.
  const [category, setCategory] = useState<Category | null>(values?.category ?? null);
  const fields = Object.keys(errors) as RequestField[];
  const firstTarget: Record<RequestField, string> = {
    category: `category-${categories[0]}`,
    subtype: 'subtype',
    message: 'message',
    contact: 'contact',
  };
  const described = (field: RequestField, hint?: string) =>
    [errors[field] ? `${field}-error` : null, hint].filter(Boolean).join(' ') || undefined;
  const fieldError = (field: RequestField) =>
    errors[field] ? (
      <p className="error field-error" id={`${field}-error`}>
        {t(`help.problems.${errors[field]}`)}
      </p>
    ) : null;
  const shownCategories = category ? [category] : categories;
  const hasSubtypes = shownCategories.some((c) => subtypes[c].length > 0);
  return (
    <section aria-labelledby="form-heading">
      <h2 id="form-heading">{t('help.formHeading')}</h2>
      {fields.length > 0 ? (
        <div className="error-summary" role="alert">
          <p className="error">{t('help.errorSummary')}</p>
          <ul>
            {fields.map((f) => (
              <li key={f}>
                <a href={`#${firstTarget[f]}`}>{t(`help.problems.${errors[f]}`)}</a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {signedIn ? null : (
        <p>
          {t('help.signInInstead')} <a href="/login">{t('help.signInLink')}</a>
        </p>
      )}
      <Form method="post" noValidate>
        <CsrfInput />
        <input type="hidden" name="intent" value="request" />
        <fieldset aria-describedby={described('category')}>
          <legend>{t('help.categoryLegend')}</legend>
          {fieldError('category')}
          {categories.map((c) => (
            <label className="choice" key={c}>
              <input
                type="radio"
                id={`category-${c}`}
                name="category"
                value={c}
                defaultChecked={values?.category === c}
                onChange={() => setCategory(c)}
              />{' '}
              {t(`help.categories.${c}`)}
            </label>
          ))}
        </fieldset>

        {hasSubtypes ? (
          <>
            <label htmlFor="subtype">{t('help.subtypeLabel')}</label>
            {fieldError('subtype')}
            <select
              id="subtype"
              name="subtype"
              // A new topic starts the second list over.
              key={category ?? 'all'}
              defaultValue={values?.subtype ?? ''}
              aria-invalid={errors.subtype ? true : undefined}
              aria-describedby={described('subtype')}
            >
              <option value="">{t('help.subtypeNone')}</option>
              {category
                ? subtypes[category].map((s) => (
                    <option key={s} value={s}>
                      {t(`help.subtypes.${category}.${s}`)}
                    </option>
                  ))
                : categories
                    .filter((c) => subtypes[c].length > 0)
                    .map((c) => (
                      <optgroup key={c} label={t(`help.categories.${c}`)}>
                        {subtypes[c].map((s) => (
                          <option key={s} value={s}>
                            {t(`help.subtypes.${c}.${s}`)}
                          </option>
                        ))}
                      </optgroup>
                    ))}
            </select>
          </>
        ) : null}

        <label htmlFor="message">{t('help.messageLabel')}</label>
        <p className="hint" id="message-hint">
          {t('help.messageHint')}
        </p>
        {fieldError('message')}
        <textarea
          id="message"
          name="message"
          rows={8}
          maxLength={maxLength}
          defaultValue={values?.message ?? ''}
          aria-invalid={errors.message ? true : undefined}
          aria-describedby={described('message', 'message-hint')}
        />

        {signedIn ? null : (
          <>
            <label htmlFor="contact">{t('help.contactLabel')}</label>
            <p className="hint" id="contact-hint">
              {t('help.contactHint')}
            </p>
            {fieldError('contact')}
            <input
              type="text"
              id="contact"
              name="contact"
              defaultValue={values?.contact ?? ''}
              aria-invalid={errors.contact ? true : undefined}
              aria-describedby={described('contact', 'contact-hint')}
            />
          </>
        )}
        <div>
          <button type="submit">{t('help.send')}</button>
        </div>
      </Form>
    </section>
  );
}
