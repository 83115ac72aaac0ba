import { Form } from '@remix-run/react';
import { CsrfInput } from './csrf-input.tsx';
import { FormError } from './form-error.tsx';

/** The 6-digit authenticator code form of the verify and enrol steps (a full-document post). */
export function TotpCodeForm(props: { label: string; submit: string; error?: string; autoFocus?: boolean }) {
  return (
    <Form method="post" reloadDocument>
      <CsrfInput />
      <label htmlFor="code">{props.label}</label>
      <input
        id="code"
        name="code"
        type="text"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]{6,7}"
        required
        autoFocus={props.autoFocus}
      />
      <FormError message={props.error} />
      <button type="submit">{props.submit}</button>
    </Form>
  );
}
