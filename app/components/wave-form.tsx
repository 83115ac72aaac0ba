import { Form } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import { CsrfInput } from './csrf-input.tsx';

export interface WaveFormValues {
  cohortId: string;
  name: string;
  stage: string;
  channels: string[];
  timing: string;
}

const fieldIds: Record<string, string> = {
  cohortId: 'wave-cohort',
  name: 'wave-name',
  stage: 'wave-stage',
  channels: 'wave-channel-email',
  timing: 'wave-timing',
};
const fieldNames: Record<string, string> = {
  cohortId: 'Cohort',
  name: 'Name',
  stage: 'Message',
  channels: 'Channels',
  timing: 'When',
};

/**
 * The form that drafts a wave or changes a draft. Each error sits under its field and is tied to it
 * (aria-describedby), and a summary at the top links to each field, so the form works without script.
 */
export function WaveForm(props: {
  intent: 'create' | 'update';
  cohorts: { id: string; name: string; cutoverDate: string | null }[];
  stages: { value: string; label: string }[];
  values: Partial<WaveFormValues>;
  errors: Record<string, string> | null;
  submitLabel: string;
}) {
  const { values, errors } = props;
  // With JavaScript the page does not reload: take keyboard and screen-reader focus to the summary.
  const summary = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (errors) summary.current?.focus();
  }, [errors]);
  const error = (field: string) => errors?.[field];
  const described = (field: string, hint?: string) =>
    [hint, error(field) ? `${fieldIds[field]}-error` : undefined].filter(Boolean).join(' ') || undefined;
  const channels = values.channels ?? ['email'];
  const fieldError = (field: string) =>
    error(field) ? (
      <span id={`${fieldIds[field]}-error`} className="error field-error">
        {error(field)}
      </span>
    ) : null;
  return (
    <Form method="post" className="narrow-form wave-form" noValidate>
      <CsrfInput />
      <input type="hidden" name="intent" value={props.intent} />
      {errors && Object.keys(errors).length > 0 ? (
        <div
          className="error-summary"
          role="alert"
          aria-labelledby="wave-form-errors"
          ref={summary}
          tabIndex={-1}
        >
          <p id="wave-form-errors" className="error">
            The wave was not saved. Please fix:
          </p>
          <ul>
            {Object.entries(errors).map(([field, message]) => (
              <li key={field}>
                <a href={`#${fieldIds[field] ?? 'wave-name'}`}>
                  {fieldNames[field] ?? field}: {message}
                </a>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <label htmlFor="wave-cohort">Cohort</label>
      <select
        id="wave-cohort"
        name="cohortId"
        defaultValue={values.cohortId ?? ''}
        aria-invalid={error('cohortId') ? true : undefined}
        aria-describedby={described('cohortId')}
      >
        <option value="">Choose a cohort</option>
        {props.cohorts.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name} {c.cutoverDate ? `(cutover ${c.cutoverDate})` : '(no cutover date yet)'}
          </option>
        ))}
      </select>
      {fieldError('cohortId')}

      <label htmlFor="wave-name">Name</label>
      <input
        id="wave-name"
        name="name"
        type="text"
        maxLength={120}
        autoComplete="off"
        defaultValue={values.name ?? ''}
        aria-invalid={error('name') ? true : undefined}
        aria-describedby={described('name', 'wave-name-hint')}
      />
      <span id="wave-name-hint" className="hint">
        For staff only. Patients never see it.
      </span>
      {fieldError('name')}

      <label htmlFor="wave-stage">Message</label>
      <select
        id="wave-stage"
        name="stage"
        defaultValue={values.stage ?? ''}
        aria-invalid={error('stage') ? true : undefined}
        aria-describedby={described('stage', 'wave-stage-hint')}
      >
        <option value="">Choose what this wave says</option>
        {props.stages.map((s) => (
          <option key={s.value} value={s.value}>
            {s.label}
          </option>
        ))}
      </select>
      <span id="wave-stage-hint" className="hint">
        Each message has an English and a Spanish version; patients get the one in their language.
      </span>
      {fieldError('stage')}

      <fieldset aria-describedby={error('channels') ? 'wave-channel-email-error' : undefined}>
        <legend>Send by</legend>
        <label className="choice" htmlFor="wave-channel-email">
          <input
            id="wave-channel-email"
            type="checkbox"
            name="channels"
            value="email"
            defaultChecked={channels.includes('email')}
            aria-invalid={error('channels') ? true : undefined}
          />{' '}
          Email
        </label>
        <label className="choice" htmlFor="wave-channel-sms">
          <input
            id="wave-channel-sms"
            type="checkbox"
            name="channels"
            value="sms"
            defaultChecked={channels.includes('sms')}
            aria-invalid={error('channels') ? true : undefined}
          />{' '}
          Text message
        </label>
        {fieldError('channels')}
      </fieldset>

      <label htmlFor="wave-timing">When</label>
      <input
        id="wave-timing"
        name="timing"
        type="text"
        autoComplete="off"
        spellCheck={false}
        placeholder="T-14d 09:00"
        defaultValue={values.timing ?? ''}
        aria-invalid={error('timing') ? true : undefined}
        aria-describedby={described('timing', 'wave-timing-hint')}
      />
      <span id="wave-timing-hint" className="hint">
        Counted from the cohort&apos;s cutover date, in each patient&apos;s own time zone:{' '}
        <code>T-14d 09:00</code> is 14 days before cutover at 9 in the morning where the patient lives,{' '}
        <code>T 08:00</code> is the cutover day and <code>T+3d 10:00</code> three days after. If the cutover
        date moves, the messages move with it. Or give one moment for everyone, such as{' '}
        <code>2026-12-01T15:00:00Z</code> (Z is UTC). Text messages never go out between 21:00 and 08:00 in
        the patient&apos;s time zone; they wait for the morning.
      </span>
      {fieldError('timing')}

      <button type="submit">{props.submitLabel}</button>
    </Form>
  );
}
