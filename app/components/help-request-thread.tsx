// What patients read of their support requests, on /help (signed in) and on a request's private read
// link: the not-for-emergencies note, the safety guidance box, and one request with its messages and a
// box to write back.
import { Form } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import type { PatientRequestView } from '../../messaging/support/support.ts';
import type { Locale } from '../i18n/resources.ts';
import { CsrfInput } from './csrf-input.tsx';

/** One request as the page shows it: times already worded on the server (no clock or zone guessing). */
export interface HelpRequestDisplay {
  number: number;
  category: PatientRequestView['category'];
  subtype: string | null;
  status: PatientRequestView['status'];
  canReply: boolean;
  messages: { from: 'you' | 'us'; at: string; when: string; text: string; safety: boolean }[];
}

export type ReplyProblem = 'empty_message' | 'too_long' | 'not_found' | 'closed';

/** What the last reply on this page did, when it was about this request. */
export interface ReplyOutcome {
  number: number;
  problem: ReplyProblem | null;
  safetyGuidance: string | null;
}

const dateLocales: Record<Locale, string> = { en: 'en-US', es: 'es-US' };

/** Turns the service's view into what the page shows, in the reader's language and time zone. */
export function helpRequestDisplay(
  view: PatientRequestView,
  locale: Locale,
  timeZone: string,
): HelpRequestDisplay {
  const options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' };
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat(dateLocales[locale], { ...options, timeZone });
  } catch {
    // A zone the runtime does not know: the server's zone still tells the day and hour.
    format = new Intl.DateTimeFormat(dateLocales[locale], options);
  }
  return {
    number: view.number,
    category: view.category,
    subtype: view.subtype,
    status: view.status,
    canReply: view.canReply,
    messages: view.messages.map((m) => ({
      from: m.from,
      at: m.at.toISOString(),
      when: format.format(m.at),
      text: m.text,
      safety: m.safety,
    })),
  };
}

/** The note at the top of every help page: this is not the way to reach anyone in an emergency. */
export function EmergencyNote() {
  const { t } = useTranslation();
  return (
    <div className="notice warning" role="note">
      <p>
        <strong>{t('help.emergency')}</strong>
      </p>
      <p>{t('help.notForEmergencies')}</p>
    </div>
  );
}

/** The safety screen's answer: shown before anything else the page says after a request or reply. */
export function SafetyGuidance({ text }: { text: string | null | undefined }) {
  const { t } = useTranslation();
  if (!text) return null;
  return (
    <div className="notice warning" role="alert">
      <h2>{t('help.safetyHeading')}</h2>
      <p>
        <strong>{text}</strong>
      </p>
    </div>
  );
}

/** A message's text as the patient wrote it or we answered it: its line breaks kept, nothing as HTML. */
function MessageText({ text }: { text: string }) {
  return <div className="sms-text">{text}</div>;
}

/**
 * One request: its number, topic, status in plain words, every message (yours, ours, and our safety
 * answers marked as such), and a box to write back while it can take replies.
 */
export function HelpRequestThread({
  request,
  headingLevel,
  outcome,
  replyAction,
  maxLength,
}: {
  request: HelpRequestDisplay;
  headingLevel: 1 | 2 | 3;
  /** The longest message the desk keeps. */
  maxLength: number;
  outcome?: ReplyOutcome | null | undefined;
  /** Where the reply form posts (the current page when not given). */
  replyAction?: string;
}) {
  const { t } = useTranslation();
  const Heading = `h${headingLevel}` as 'h1' | 'h2' | 'h3';
  const Sub = `h${headingLevel + 1}` as 'h2' | 'h3' | 'h4';
  const n = request.number;
  const mine = outcome?.number === n ? outcome : null;
  const about = request.subtype
    ? `${t(`help.categories.${request.category}`)} — ${t(`help.subtypes.${request.category}.${request.subtype}`, { defaultValue: request.subtype })}`
    : t(`help.categories.${request.category}`);
  const replyId = `reply-${n}`;
  const errorId = `reply-${n}-error`;
  return (
    <section className="help-request" aria-labelledby={`request-${n}-title`}>
      <Heading id={`request-${n}-title`}>{t('help.requestTitle', { number: n })}</Heading>
      <dl className="facts">
        <dt>{t('help.about')}</dt>
        <dd>{about}</dd>
        <dt>{t('help.status')}</dt>
        <dd>{t(`help.statuses.${request.status}`)}</dd>
      </dl>
      <Sub className="visually-hidden">{t('help.conversation')}</Sub>
      <ol className="plain-list thread">
        {request.messages.map((m, i) => (
          <li key={`${m.at}-${i}`} className={m.safety ? 'notice warning' : undefined}>
            <p>
              <strong>
                {m.safety ? t('help.safetyMessage') : m.from === 'you' ? t('help.you') : t('help.us')}
              </strong>{' '}
              <span className="hint">
                <time dateTime={m.at}>{m.when}</time>
              </span>
            </p>
            <MessageText text={m.text} />
          </li>
        ))}
      </ol>
      {mine?.safetyGuidance ? <SafetyGuidance text={mine.safetyGuidance} /> : null}
      {mine && !mine.problem ? (
        <p className="success" role="status">
          {t('help.replied')}
        </p>
      ) : null}
      {request.canReply ? (
        // Keyed by the number of messages: after a reply the box comes back empty.
        <Form method="post" action={replyAction} key={request.messages.length} className="reply-form">
          <CsrfInput />
          <input type="hidden" name="intent" value="reply" />
          <input type="hidden" name="number" value={n} />
          <label htmlFor={replyId}>{t('help.replyLabel')}</label>
          {mine?.problem ? (
            <p className="error field-error" id={errorId}>
              {t(`help.replyProblems.${mine.problem}`)}
            </p>
          ) : null}
          <textarea
            id={replyId}
            name="message"
            rows={4}
            maxLength={maxLength}
            aria-invalid={
              mine?.problem === 'empty_message' || mine?.problem === 'too_long' ? true : undefined
            }
            aria-describedby={mine?.problem ? errorId : undefined}
          />
          <div>
            <button type="submit">{t('help.replySend')}</button>
          </div>
        </Form>
      ) : (
        <p>{t('help.closedNote')}</p>
      )}
    </section>
  );
}
