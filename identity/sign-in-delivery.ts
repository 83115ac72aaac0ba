// What identity asks of messaging when it must reach a patient (DESIGN §2: identity never imports
// messaging; the server hands it a delivery function when it wires the services).

export interface SignInMessageRecipient {
  id: string;
  email: string | null;
  phone: string | null;
  locale: 'en' | 'es';
  givenName: string | null;
}

export type SignInMessage =
  /** Email: a link and the same request's short code. */
  | {
      kind: 'sign_in_link';
      channel: 'email';
      patient: SignInMessageRecipient;
      link: string;
      code: string;
      expiresMinutes: number;
    }
  /** SMS: the short code only. */
  | {
      kind: 'sign_in_code';
      channel: 'sms';
      patient: SignInMessageRecipient;
      code: string;
      expiresMinutes: number;
    }
  /** More than one account shares this address: no link, only how to reach support. */
  | { kind: 'sign_in_help'; channel: 'email' | 'sms'; patient: SignInMessageRecipient };

export type SignInDeliveryResult =
  { ok: true; messageId: string } | { ok: false; reason: 'no_address' | 'rejected' | 'unavailable' };

export type DeliverSignInMessage = (message: SignInMessage) => Promise<SignInDeliveryResult>;
